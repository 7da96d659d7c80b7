"""Slim deploys, pure: whether a deploy may build only ``state:modified+``, what it carries over, the steps.

A slim deploy compares the project with the manifest of the build readers see now (the live publication),
builds only ``state:modified+`` into the idle colour and makes every other relation of the project
available there without rebuilding it (the *carry-over*): unmodified tables, seeds, snapshots and
incremental tables are copied from the live colour by the engine's cheapest route (``plan/sql/carry.py``),
unmodified views are re-created in the idle colour by dbt, so that every relation of the new publication
reads only objects of its own colour. When that comparison cannot be trusted the deploy builds in full and
says why (``fallback_reason``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from pipelineops.plan import sql
from pipelineops.plan.bluegreen_swap import Carried, colour_schema
from pipelineops.plan.history import BUILD, Colour
from pipelineops.plan.manifest_facts import canon, obj
from pipelineops.plan.sql import Dialect, Relation
from pipelineops.plan.sql.carry import carry_table
from pipelineops.plan.steps import Plan, Step

Mode = Literal["slim", "full"]
MODES: tuple[Mode, ...] = ("slim", "full")
#: Materialisations whose relation is copied from the live colour when unmodified.
CARRIED_KINDS = frozenset({"table", "incremental", "seed", "snapshot"})
#: Materialisations re-created by dbt in the idle colour when unmodified (cheap: no data moves).
RECREATED_KINDS = frozenset({"view"})
MARKER = "deploy_mode"
SHOWN = 40  # node names kept in a journal row


@dataclass(frozen=True)
class Node:
    """A relation the project builds in a colour schema (``schema`` is the colour-less one)."""

    unique_id: str
    name: str
    schema: str
    alias: str
    materialized: str
    transient: bool = True


@dataclass(frozen=True)
class Inputs:
    """What ``state:modified`` cannot see, as digests: dbt_project.yml (and ``--vars``) values, and the
    values of the environment variables the project reads with ``env_var()``."""

    vars: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def digest(value: object) -> str:
    return hashlib.sha256(canon(value).encode("utf-8")).hexdigest()[:16]


def inputs_of(vars: Mapping[str, object], env: Mapping[str, str | None]) -> Inputs:
    return Inputs(
        tuple(sorted((k, digest(v)) for k, v in vars.items())),
        tuple(sorted((k, digest(v)) for k, v in env.items())),
    )


def changed(old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    before, now = dict(old), dict(new)
    return tuple(sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k)))


@dataclass(frozen=True)
class CarryOver:
    """What a slim deploy builds (unique ids), copies (tables) and re-creates (view names)."""

    built: tuple[str, ...]
    tables: tuple[Carried, ...]
    views: tuple[str, ...]


@dataclass(frozen=True)
class ModeRecord:
    """What the journal keeps of a deploy's mode (in the ``detail`` of its ``prepare`` row)."""

    mode: Mode
    reason: str = ""  # why a full deploy, when slim was asked for (or "--mode full")
    built: int = 0
    carried: int = 0
    views: int = 0
    built_names: tuple[str, ...] = ()
    inputs: Inputs = field(default_factory=Inputs)

    def detail(self) -> str:
        return json.dumps(
            {
                MARKER: self.mode,
                "reason": self.reason,
                "built": self.built,
                "carried": self.carried,
                "views": self.views,
                "built_names": list(self.built_names[:SHOWN]),
                "vars": dict(self.inputs.vars),
                "env": dict(self.inputs.env),
            },
            sort_keys=True,
        )


def read_record(detail: object) -> ModeRecord | None:
    """The record a ``prepare`` row holds, or None (a deploy before slim deploys, or another row)."""
    try:
        data = json.loads(str(detail or ""))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get(MARKER) not in MODES:
        return None
    mode: Mode = "slim" if data[MARKER] == "slim" else "full"
    return ModeRecord(
        mode=mode,
        reason=str(data.get("reason") or ""),
        built=int(data.get("built") or 0),
        carried=int(data.get("carried") or 0),
        views=int(data.get("views") or 0),
        built_names=tuple(str(n) for n in data.get("built_names") or ()),
        inputs=Inputs(
            tuple(sorted((str(k), str(v)) for k, v in obj(data.get("vars")).items())),
            tuple(sorted((str(k), str(v)) for k, v in obj(data.get("env")).items())),
        ),
    )


def record_of(rows: Sequence[Mapping[str, object]], deploy_id: str) -> ModeRecord | None:
    """The mode record of deploy ``deploy_id`` (its last successful ``prepare`` row holding one)."""
    found = None
    for row in rows:
        if (
            row.get("deploy_id") == deploy_id
            and row.get("step") == "prepare"
            and row.get("status") == "succeeded"
        ):
            found = read_record(row.get("detail")) or found
    return found


def summary(record: ModeRecord | None) -> tuple[tuple[str, str], ...]:
    """Report lines for a deploy's mode: ``mode`` and, for a fallback, ``full because``."""
    if record is None:
        return ()
    if record.mode == "slim":
        return (
            (
                "mode",
                f"slim: {record.built} node(s) built, {record.carried} table(s) carried over, "
                f"{record.views} view(s) re-created",
            ),
        )
    lines = [("mode", f"full: {record.built} node(s) built")]
    if record.reason:
        lines.append(("full because", record.reason))
    return tuple(lines)


# --- when slim is not safe ---------------------------------------------------------------------------


def _macros(manifest: Mapping[str, object]) -> dict[str, str]:
    return {uid: canon(obj(m).get("macro_sql", "")) for uid, m in obj(manifest.get("macros")).items()}


def _names(items: Iterable[str], limit: int = 5) -> str:
    names = sorted(set(items))
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def macro_reason(live: Mapping[str, object], new: Mapping[str, object], project: str, adapter: str) -> str:
    """Why changed macros rule a slim deploy out: dbt's own (a dbt or adapter upgrade), a package's, or
    the project's (``state:modified`` follows a macro only into the nodes that call it directly)."""
    old_m, new_m = _macros(live), _macros(new)
    diff = [uid for uid in set(old_m) | set(new_m) if old_m.get(uid) != new_m.get(uid)]
    if not diff:
        return ""
    packages = {uid.split(".")[1] for uid in diff if uid.count(".") >= 2}
    internal = {p for p in packages if p in ("dbt", f"dbt_{adapter}")}
    if internal:
        return f"dbt or adapter version changed (macros of {_names(internal)} differ)"
    others = packages - {project}
    if others:
        return f"packages changed: {_names(others)}"
    return f"macros changed: {_names(uid.split('.')[-1] for uid in diff)}"


def fallback_reason(
    *,
    requested: Mode,
    live_manifest: Mapping[str, object] | None,
    manifest: Mapping[str, object],
    live_inputs: Inputs | None,
    inputs: Inputs,
    large_seeds: Sequence[str] = (),
) -> str:
    """Why this deploy must build in full; empty when a slim deploy is safe."""
    if requested == "full":
        return "--mode full"
    if live_manifest is None:
        return "no live manifest: nothing is published yet, or the live build stored no manifest"
    old, new = obj(live_manifest.get("metadata")), obj(manifest.get("metadata"))
    if old.get("dbt_schema_version") != new.get("dbt_schema_version"):
        return (
            f"incompatible live manifest: {old.get('dbt_schema_version') or 'no schema version'}, "
            f"this dbt writes {new.get('dbt_schema_version')}"
        )
    if old.get("project_name") != new.get("project_name") or old.get("adapter_type") != new.get(
        "adapter_type"
    ):
        return "incompatible live manifest: another project or adapter"
    if old.get("dbt_version") != new.get("dbt_version"):
        return f"dbt version changed: {old.get('dbt_version')} → {new.get('dbt_version')}"
    macros = macro_reason(
        live_manifest, manifest, str(new.get("project_name") or ""), str(new.get("adapter_type") or "")
    )
    if macros:
        return macros
    if large_seeds:
        return f"seeds over 1 MiB are compared by path only: {_names(large_seeds)}"
    if live_inputs is None:
        if inputs.vars or inputs.env:
            return "the live deploy recorded no vars or env_var() values to compare with"
        return ""
    vars_changed = changed(live_inputs.vars, inputs.vars)
    if vars_changed:
        return (
            f"dbt_project.yml vars changed: {_names(vars_changed)} (state:modified does not see var values)"
        )
    env_changed = changed(live_inputs.env, inputs.env)
    if env_changed:
        return f"env_var() inputs changed: {_names(env_changed)} (state:modified does not see their values)"
    return ""


# --- what a slim deploy builds, copies and re-creates --------------------------------------------------


def carry_over(
    nodes: Sequence[Node], selected: Iterable[str], live_relations: frozenset[tuple[str, str]]
) -> CarryOver | str:
    """The carry-over of a slim deploy, or why there can be none (a full deploy then).

    ``selected``: the unique ids of ``state:modified+``; ``live_relations``: (schema, NAME) present in the
    live colour.
    """
    chosen = set(selected)
    built = tuple(sorted(n.unique_id for n in nodes if n.unique_id in chosen))
    tables: list[Carried] = []
    views: list[str] = []
    missing: list[str] = []
    other: list[str] = []
    for n in nodes:
        if n.unique_id in chosen:
            continue
        if n.materialized in CARRIED_KINDS:
            if (n.schema.upper(), n.alias.upper()) in live_relations:
                tables.append(Carried(n.schema.upper(), n.alias, transient=n.transient))
            else:
                missing.append(n.name)
        elif n.materialized in RECREATED_KINDS:
            views.append(n.name)
        else:
            other.append(f"{n.name} ({n.materialized})")
    if other:
        return f"materialisations a slim deploy does not carry over: {_names(other)}"
    if missing:
        return f"the live colour lacks {len(missing)} unmodified relation(s) to carry over: {_names(missing)}"
    return CarryOver(built, tuple(sorted(tables, key=lambda t: (t.schema, t.name))), tuple(sorted(views)))


def ls_args(state_dir: str, vars_json: str) -> tuple[str, ...]:
    """``dbt ls`` of the relations ``state:modified+`` selects against the manifest in ``state_dir``."""
    types = tuple(a for t in ("model", "seed", "snapshot") for a in ("--resource-type", t))
    return (
        "ls",
        "--select",
        "state:modified+",
        "--state",
        state_dir,
        "--vars",
        vars_json,
        *types,
        "--output",
        "json",
        "--output-keys",
        "unique_id",
        "--quiet",
    )


def build_args(
    state_dir: str, vars_json: str, views: Sequence[str] = (), narrowed: Sequence[str] | None = None
) -> tuple[str, ...]:
    """``dbt build`` of ``state:modified+`` (or, column-aware, of the ``narrowed`` nodes by name) and the
    unmodified ``views`` (re-created over the idle colour)."""
    chosen = ("state:modified+",) if narrowed is None else tuple(narrowed)
    return ("build", "--select", *chosen, *views, "--state", state_dir, "--vars", vars_json)


def carry_statements(
    carry: CarryOver,
    *,
    database: str,
    dialect: Dialect,
    live: Colour,
    idle: Colour,
    idle_views: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[str, ...]:
    """The idle colour's schemas, then one copy per carried table (a view of that name dropped first)."""
    out = [
        sql.create_schema(database, colour_schema(s, idle), dialect)
        for s in sorted({t.schema for t in carry.tables})
    ]
    for t in carry.tables:
        out += carry_table(
            Relation(database, colour_schema(t.schema, idle), t.name),
            Relation(database, colour_schema(t.schema, live), t.name),
            dialect,
            transient=t.transient,
            replaces_view=(t.schema, t.name.upper()) in idle_views,
        )
    return tuple(out)


def slim_plan(
    plan: Plan,
    carry: CarryOver,
    *,
    database: str,
    live: Colour,
    idle: Colour,
    state_dir: str,
    vars_json: str,
    idle_views: frozenset[tuple[str, str]] = frozenset(),
    narrowed: Sequence[str] | None = None,
    narrowed_from: int = 0,
) -> Plan:
    """The full deploy ``plan`` made slim: ``prepare`` also carries the unmodified tables over, and ``build``
    builds and tests only ``state:modified+`` and re-creates the unmodified views (their tests run too).

    ``narrowed`` (column-aware, ``--impact columns``): the nodes of ``state:modified+`` a change can affect,
    by name; the others are carried over like unmodified ones (``carry`` was computed without them)."""
    carried = carry_statements(
        carry, database=database, dialect=plan.dialect, live=live, idle=idle, idle_views=idle_views
    )
    steps: list[Step] = []
    what = (
        "state:modified+"
        if narrowed is None
        else f"the {len(carry.built)} of {narrowed_from} state:modified+ node(s) a change can affect (column-aware)"
    )
    for step in plan.steps:
        if step.name == "prepare":
            steps.append(
                replace(
                    step,
                    why=f"create the {idle} schemas; carry the live incremental tables over so they continue, and "
                    f"copy the {len(carry.tables)} unmodified table(s) from {live} (nothing is rebuilt)",
                    sql=tuple(dict.fromkeys((*step.sql, *carried))),
                    # one commit for every copy where DDL is transactional (a DuckLake commit per statement
                    # costs 3x); elsewhere DDL auto-commits whatever the flag says
                    transactional=plan.dialect.transactional_ddl,
                )
            )
        elif step.name == BUILD:
            steps.append(
                replace(
                    step,
                    why=f"dbt builds and tests only {what} ({len(carry.built)} node(s), compared with the "
                    f"live build's manifest) into {idle}, and re-creates the {len(carry.views)} unmodified "
                    f"view(s) over {idle}'s own relations; readers keep reading {live}",
                    dbt_args=build_args(state_dir, vars_json, carry.views, narrowed),
                )
            )
        else:
            steps.append(step)
    facts = (
        *plan.facts,
        (
            "mode",
            f"slim: {len(carry.built)} built, {len(carry.tables)} carried, {len(carry.views)} views re-created",
        ),
    )
    return Plan(plan.stage, plan.dialect, tuple(steps), facts)


def full_facts(plan: Plan, reason: str) -> Plan:
    """A full plan with its mode (and the reason slim was not used) among its facts."""
    return replace(plan, facts=(*plan.facts, ("mode", f"full ({reason})" if reason else "full")))
