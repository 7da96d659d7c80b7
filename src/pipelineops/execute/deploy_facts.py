"""Facts a deploy or rollback gathers from dbt artifacts and the warehouse, for planning and the gates."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipelineops.dbt.artifacts import ModelNode, node_results, relation_nodes
from pipelineops.engines.base import Engine, first_value, iter_names
from pipelineops.plan import gates, sql
from pipelineops.plan.bluegreen_swap import Carried, Published, base_schema, colour_schema
from pipelineops.plan.history import Colour
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


def deferral_manifest(manifest: Mapping[str, Any], consumer_schemas: tuple[str, ...]) -> str:
    """The manifest Slim CI defers to, with published relations pointing at the consumer views.

    Colour schemas are rebuilt by the next deploy; the consumer views stay stable (DESIGN.md §3).
    """
    data = json.loads(json.dumps(manifest))
    for node in data.get("nodes", {}).values():
        base, colour = base_schema(str(node.get("schema", "")))
        if colour and base in consumer_schemas:
            node["schema"] = base
            if node.get("relation_name"):
                alias = str(node.get("alias") or node.get("name"))
                node["relation_name"] = _with_schema(str(node["relation_name"]), base) or (
                    f"{node.get('database')}.{base}.{alias}"  # unquoted: resolved as dbt-snowflake does
                )

    return json.dumps(data, sort_keys=True)


_NAME_PART = re.compile(r'"(?:[^"]|"")*"|[^."]+')


def _with_schema(relation_name: str, schema: str) -> str | None:
    """``relation_name`` with its schema part replaced, every other part kept as dbt rendered it.

    dbt-snowflake renders ``db.schema.alias`` unquoted (resolved upper-case) while dbt-duckdb quotes; a
    quoted lower-case alias on Snowflake would name another, missing object (quoted names are case-sensitive).
    """
    parts = _NAME_PART.findall(relation_name)
    if len(parts) != 3 or ".".join(parts) != relation_name:
        return None
    quoted = parts[1].startswith('"')
    return ".".join((parts[0], f'"{schema}"' if quoted else schema, parts[2]))


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
