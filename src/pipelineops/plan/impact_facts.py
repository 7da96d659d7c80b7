"""What the column-level impact analysis reads of each node, pure: its SQL on both sides, the relations
the SQL can name, and the rules that make a node unprovable (kept with everything it feeds)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelineops.plan.lineage_model import TableKey, table_key
from pipelineops.plan.manifest_facts import ManifestFacts, NodeFacts, macro_closure, obj
from pipelineops.plan.sql import Dialect

KNOWN_MATERIALIZATIONS = ("view", "table", "incremental", "materialized_view", "dynamic_table")
_INTROSPECTS = re.compile(
    r"\brun_query\s*\(|\bstatement\s*\(|\bload_result\s*\(|\badapter\.(?!dispatch\b)\w+|"
    r"get_columns_in_relation|get_filtered_columns_in_relation|get_column_values|\bstar\s*\(|"
    r"union_relations|get_relations_by_(?:pattern|prefix)|get_query_results_as_dict"
)


@dataclass(frozen=True)
class Sql:
    """What the analysis reads of one node in one manifest."""

    compiled: str | None
    relation: str
    language: str


def sql_facts(manifest: Mapping[str, object]) -> dict[str, Sql]:
    out: dict[str, Sql] = {}
    for uid, raw in obj(manifest.get("nodes")).items():
        node = obj(raw)
        code = node.get("compiled_code")
        out[uid] = Sql(
            code if isinstance(code, str) and code.strip() else None,
            str(node.get("relation_name") or ""),
            str(node.get("language") or "sql"),
        )
    return out


@dataclass(frozen=True)
class Candidate:
    unique_id: str
    modified: bool  # modified, or selected by dbt for a reason the manifest diff does not show
    reasons: tuple[str, ...] = ()
    explained: bool = True  # False: dbt selected it, and the manifest diff finds no change


def introspects(node: NodeFacts, pr: ManifestFacts) -> bool:
    """Does the node's code, or a macro of its project or packages it calls, read the warehouse's catalog?"""
    if _INTROSPECTS.search(node.raw_code):
        return True
    for uid in macro_closure(node.macros, pr.macros):
        macro = pr.macros.get(uid)
        if macro is not None and not uid.startswith("macro.dbt.") and _INTROSPECTS.search(macro.sql):
            return True
    return False


def unprovable(node: NodeFacts, sql: Sql | None, pr: ManifestFacts) -> str:
    """Why no column analysis of ``node`` can be trusted; empty when one can."""
    if node.resource_type == "snapshot":
        return "a snapshot (its history is not analysed)"
    if node.resource_type == "seed":
        return "a changed seed"
    if node.resource_type != "model":
        return f"a {node.resource_type} (not analysed)"
    if sql is not None and sql.language != "sql":
        return f"a {sql.language} model"
    if node.materialized == "ephemeral":
        return "an ephemeral model (inlined into what reads it)"
    if node.materialized not in KNOWN_MATERIALIZATIONS:
        return f"materialized as {node.materialized or 'nothing known'}"
    if introspects(node, pr):
        return "its SQL comes from macros that read the warehouse"
    return ""


def tables_of(pr: Mapping[str, Sql], state: Mapping[str, Sql], dialect: Dialect) -> dict[TableKey, str]:
    """Relation names → node ids, from both manifests (a deferred parent compiles to production's name)."""
    out: dict[TableKey, str] = {}
    for facts in (state, pr):
        for uid, sql in facts.items():
            key = table_key(sql.relation, dialect) if sql.relation else ()
            if key:
                out[key] = uid
    return out


def inline_candidates(
    candidates: Sequence[Candidate], pr: ManifestFacts, state_sql: Mapping[str, Sql], limit: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(modified models whose production SQL is to be compiled from production's raw code, notes).

    The published manifest holds the compiled code of the models the deploy built or carried over
    (``plan/published_sql.py``), not of incremental models nor of older deploys' manifests; production's
    raw code compiles with the PR's macros, so a node whose macros changed is left out (kept,
    conservatively).
    """
    wanted: list[str] = []
    notes: list[str] = []
    for cand in candidates:
        node = pr.nodes.get(cand.unique_id)
        old = state_sql.get(cand.unique_id)
        if not cand.modified or node is None or node.resource_type != "model" or old is None:
            continue
        if old.compiled is not None or old.language != "sql":
            continue
        if not cand.explained or any(r.startswith(("macro ", "config changed")) for r in cand.reasons):
            continue  # kept in any case
        wanted.append(cand.unique_id)
    if len(wanted) > limit:
        notes.append(
            f"{len(wanted)} modified models without production's compiled code (more than {limit}): "
            "they and everything they feed are kept"
        )
        return (), tuple(notes)
    return tuple(wanted), tuple(notes)
