"""Facts a deploy or rollback gathers from dbt artifacts and the warehouse, for planning and the gates."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelineops.dbt.artifacts import ModelNode, node_results, relation_nodes
from pipelineops.dbt.runner import DbtInvocation
from pipelineops.engines.base import Engine, first_value, iter_names
from pipelineops.plan import gates, sql
from pipelineops.plan.bluegreen_swap import Carried, Published, base_schema, colour_schema
from pipelineops.plan.history import Colour
from pipelineops.plan.published_sql import consumer_relation
from pipelineops.plan.sql import Relation


def published_relations(
    manifest: Mapping[str, Any], consumer_schemas: tuple[str, ...]
) -> tuple[Published, ...]:
    """Relations built in a colour schema whose base schema readers use."""
    out = []
    for node in relation_nodes(manifest):
        base, colour = base_schema(node.schema)
        if colour and base in consumer_schemas:
            out.append(Published(base, node.alias))
    return tuple(sorted(set(out), key=lambda p: (p.schema, p.name)))


def incremental_relations(manifest: Mapping[str, Any]) -> tuple[Carried, ...]:
    """Incremental tables of the colours, with their kind (transient or not) for the carry-over clone."""
    out = []
    for node in relation_nodes(manifest):
        base, colour = base_schema(node.schema)
        if colour and node.materialized == "incremental":
            out.append(Carried(base, node.alias, transient=node.transient))
    return tuple(sorted(set(out), key=lambda p: (p.schema, p.name)))


def existing_relations(engine: Engine, schema: str, kind: str | None = None) -> tuple[str, ...]:
    rows = engine.query(sql.list_relations(engine.database, schema, engine.dialect))
    if kind is not None:
        rows = [r for r in rows if str(r.get("kind", "")).upper() == kind]
    return tuple(iter_names(rows))


def schemas(engine: Engine) -> set[str]:
    return {n.upper() for n in iter_names(engine.query(sql.list_schemas(engine.database, engine.dialect)))}


def row_counts(engine: Engine, published: tuple[Published, ...], colour: Colour) -> dict[str, int]:
    present = schemas(engine)
    out: dict[str, int] = {}
    for p in published:
        schema = colour_schema(p.schema, colour)
        if schema not in present or p.name.upper() not in {
            n.upper() for n in existing_relations(engine, schema)
        }:
            continue
        value = first_value(
            engine.query(sql.row_count(Relation(engine.database, schema, p.name), engine.dialect))
        )
        out[f"{p.schema}.{p.name}".lower()] = int(str(value))
    return out


def columns(engine: Engine, schema: str, name: str) -> dict[str, str]:
    rows = engine.query(sql.columns_of(Relation(engine.database, schema, name), engine.dialect))
    return {str(r["name"]).lower(): str(r["type"]) for r in rows}


def test_outcomes(run_results: Mapping[str, Any] | None) -> list[gates.TestOutcome]:
    if not run_results:
        return []
    return [
        gates.TestOutcome(r.unique_id, r.status, r.failures, r.message) for r in node_results(run_results)
    ]


def git_sha(cwd: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def deferral_manifest(
    manifest: Mapping[str, Any], consumer_schemas: tuple[str, ...], compiled: Mapping[str, str] | None = None
) -> str:
    """The manifest Slim CI defers to, with published relations pointing at the consumer views, and
    ``compiled`` (node id → production's compiled SQL naming them: ``plan/published_sql.py``) as the
    nodes' ``compiled_code``.

    Colour schemas are rebuilt by the next deploy; the consumer views stay stable (DESIGN.md §3).
    """
    data = json.loads(json.dumps(manifest))
    for uid, node in data.get("nodes", {}).items():
        consumer = consumer_relation(node, consumer_schemas)
        base, colour = base_schema(str(node.get("schema", "")))
        if colour and base in consumer_schemas:
            node["schema"] = base
        if consumer is not None:
            node["relation_name"] = consumer
        if compiled and uid in compiled:
            node["compiled_code"] = compiled[uid]
    return json.dumps(data, sort_keys=True)


def compiled_of(invocations: Sequence[DbtInvocation]) -> tuple[dict[str, str], set[str]]:
    """(node id → compiled SQL, the nodes dbt ran) of a deploy's dbt invocations, from their artifacts
    (``target/manifest.json``, ``run_results.json``); a later invocation of the same node wins."""
    compiled: dict[str, str] = {}
    ran: set[str] = set()
    for result in invocations:
        ran |= {r.unique_id for r in node_results(result.run_results() or {})}
        path = result.target_path / "manifest.json"
        if not path.is_file():
            continue
        nodes = json.loads(path.read_text(encoding="utf-8")).get("nodes", {})
        compiled.update(
            {
                uid: str(n["compiled_code"])
                for uid, n in nodes.items()
                if isinstance(n.get("compiled_code"), str)
            }
        )
    return compiled, ran


def nodes_by_name(manifest: Mapping[str, Any]) -> dict[str, ModelNode]:
    return {n.name: n for n in relation_nodes(manifest)}


def view_colours(engine: Engine, schema: str) -> set[str]:
    """The colours the views of a consumer schema read from (empty when it has none)."""
    rows = engine.query(sql.view_definitions(engine.database, schema, engine.dialect))
    found: set[str] = set()
    for row in rows:
        text = str(row.get("sql", "")).upper()
        found |= {c for c in ("BLUE", "GREEN") if f"__{c}" in text}
    return found
