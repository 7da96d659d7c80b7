"""Production's compiled SQL for the published manifest, pure: what Slim CI compares a pull request with.

A deploy builds in a colour schema (``MARTS__GREEN``) and readers use the consumer schema (``MARTS``); the
published manifest names the consumer relations (``relation_name``), so the compiled SQL it carries must
too. Each colour relation name of the deploy's manifest is replaced where it stands whole in the SQL by
its consumer name (a name that only starts the same is another relation). SQL still naming a colour
schema of a consumer schema after that is left out: the analysis then compiles production's code itself.

A slim deploy carries unbuilt nodes over from the live build; their compiled SQL is carried over from the
previous published manifest when their checksum is the same (the inputs a slim deploy compares, vars and
``env_var()`` values, are unchanged or it would be a full deploy), with each relation it names moved to
this build's name for it (a schema that is not a consumer schema keeps its colour).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from pipelineops.plan.bluegreen_swap import base_schema
from pipelineops.plan.manifest_facts import obj

#: Models whose compiled SQL is published: ``is_incremental()`` renders differently in a deploy's build
#: (the table exists) than in a pull request's compile, so incremental models are compiled as before.
MATERIALIZATIONS = ("view", "table", "materialized_view", "dynamic_table")
_PART = r'(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)'
_NAME = re.compile(rf'(?<![\w$."]){_PART}\.{_PART}\.{_PART}(?![\w$"])')
_NAME_PART = re.compile(r'"(?:[^"]|"")*"|[^."]+')


def with_schema(relation_name: str, schema: str) -> str | None:
    """``relation_name`` with its schema part replaced, every other part kept as dbt rendered it.

    dbt-snowflake renders ``db.schema.alias`` unquoted (resolved upper-case) while dbt-duckdb quotes; a
    quoted lower-case alias on Snowflake would name another, missing object (quoted names are case-sensitive).
    """
    parts = _NAME_PART.findall(relation_name)
    if len(parts) != 3 or ".".join(parts) != relation_name:
        return None
    quoted = parts[1].startswith('"')
    return ".".join((parts[0], f'"{schema}"' if quoted else schema, parts[2]))


def consumer_relation(node: Mapping[str, object], consumer_schemas: Collection[str]) -> str | None:
    """The relation name readers use for a node built in a colour of a consumer schema; None for others."""
    base, colour = base_schema(str(node.get("schema") or ""))
    relation = str(node.get("relation_name") or "")
    if not colour or base not in consumer_schemas or not relation:
        return None
    alias = str(node.get("alias") or node.get("name"))
    # unquoted when dbt's name is not three parts: resolved as dbt-snowflake does
    return with_schema(relation, base) or f"{node.get('database')}.{base}.{alias}"


def renames(manifest: Mapping[str, object], consumer_schemas: Collection[str]) -> dict[str, str]:
    """Colour relation name → consumer relation name, for every node of ``manifest`` built in a colour."""
    out: dict[str, str] = {}
    for raw in obj(manifest.get("nodes")).values():
        node = obj(raw)
        consumer = consumer_relation(node, consumer_schemas)
        if consumer is not None:
            out[str(node["relation_name"])] = consumer
    return out


def for_readers(sql: str, names: Mapping[str, str], consumer_schemas: Collection[str]) -> str | None:
    """``sql`` naming the consumer relations; None when it still names a colour schema of a consumer schema."""
    out = _NAME.sub(lambda m: names.get(m.group(0), m.group(0)), sql)
    upper = out.upper()
    if any(f"{s.upper()}__{c}" in upper for s in consumer_schemas for c in ("BLUE", "GREEN")):
        return None
    return out


def published_sql(
    manifest: Mapping[str, object],
    compiled: Mapping[str, str],
    *,
    consumer_schemas: Collection[str],
    built: Collection[str],
    previous: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Node id → production's compiled SQL as readers see it, for the models of the deploy's ``manifest``.

    ``compiled``: what the deploy's dbt invocations compiled (their ``target/manifest.json``); ``built``:
    the nodes they ran (never carried over, even without compiled SQL); ``previous``: the live published
    manifest of a slim deploy (None for a full deploy: nothing is carried over).
    """
    names = renames(manifest, consumer_schemas)
    before = obj(previous.get("nodes")) if previous is not None else {}
    moves = _moves(manifest, before, names)
    current = {names.get(r, r) for r in _relations(manifest)}
    stale = _relations(previous or {}) - current  # named by the live build, not by this one
    out: dict[str, str] = {}
    for uid, raw in obj(manifest.get("nodes")).items():
        node = obj(raw)
        if node.get("resource_type") != "model" or str(node.get("language") or "sql") != "sql":
            continue
        if obj(node.get("config")).get("materialized") not in MATERIALIZATIONS:
            continue
        if uid in built:
            sql = compiled.get(uid)
            text = for_readers(sql, names, consumer_schemas) if sql and sql.strip() else None
        else:
            text = _carried(node, obj(before.get(uid)), moves, stale)
        if text is not None:
            out[uid] = text
    return out


def _relations(manifest: Mapping[str, object]) -> set[str]:
    return {
        str(obj(n).get("relation_name"))
        for n in obj(manifest.get("nodes")).values()
        if obj(n).get("relation_name")
    }


def _moves(
    manifest: Mapping[str, object], before: Mapping[str, object], names: Mapping[str, str]
) -> dict[str, str]:
    """The previous published relation name → this one's, of each node in both (a schema that is not a
    consumer schema keeps its colour, so its relations move from the live colour to the idle one)."""
    out: dict[str, str] = {}
    for uid, raw in obj(manifest.get("nodes")).items():
        old = str(obj(before.get(uid)).get("relation_name") or "")
        new = str(obj(raw).get("relation_name") or "")
        if old and new:
            out[old] = names.get(new, new)
    return out


def _carried(
    node: Mapping[str, object], old: Mapping[str, object], moves: Mapping[str, str], stale: Collection[str]
) -> str | None:
    """The previous published SQL of an unbuilt node, naming this build's relations, when nothing it
    compiles from changed; None when it names a relation this build no longer has."""
    code = old.get("compiled_code")
    if not isinstance(code, str) or not code.strip() or old.get("checksum") != node.get("checksum"):
        return None
    text = _NAME.sub(lambda m: moves.get(m.group(0), m.group(0)), code)
    if any(m.group(0) in stale for m in _NAME.finditer(text)):
        return None
    return text
