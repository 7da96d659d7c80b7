"""The facts a slim deploy decides on, gathered from the journal, dbt and the warehouse.

The plan itself is pure (``plan/slim_deploy.py``); this module reads what it needs: the manifest of the
build readers see now (``DEPLOY_MANIFESTS``) and the inputs that build recorded, the values of the project's
vars and ``env_var()`` inputs now, dbt's own ``state:modified+`` selection against that manifest
(``dbt ls``), and which relations the live and the idle colour hold.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import yaml

from pipelineops.dbt.artifacts import manifest_digest, relation_nodes
from pipelineops.engines.base import Row
from pipelineops.errors import CheckFailed, UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import history, slim_ci
from pipelineops.plan import slim_deploy as slim
from pipelineops.plan.blind_spots import ENV_VAR_CALL
from pipelineops.plan.bluegreen_swap import base_schema, colour_schema
from pipelineops.plan.steps import Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    plan: Plan
    record: slim.ModeRecord
    live_manifest: Mapping[str, Any] | None = None  # the live build's, when the plan is slim


def current_inputs(rt: Runtime, manifest: Mapping[str, Any], extra_vars: Mapping[str, object]) -> slim.Inputs:
    """Digests of dbt_project.yml vars (with ``--vars``) and of every ``env_var()`` the project reads."""
    text = (rt.ctx.config.project_dir / "dbt_project.yml").read_text(encoding="utf-8")
    values = cast(dict[str, object], (yaml.safe_load(text) or {}).get("vars") or {})
    names = set(ENV_VAR_CALL.findall(text))
    project = str(manifest.get("metadata", {}).get("project_name") or "")
    for node in manifest.get("nodes", {}).values():
        names.update(ENV_VAR_CALL.findall(str(node.get("raw_code") or "")))
    for macro in manifest.get("macros", {}).values():
        if macro.get("package_name") == project:
            names.update(ENV_VAR_CALL.findall(str(macro.get("macro_sql") or "")))
    environ = {**os.environ, **dict(rt.ctx.environ)}
    return slim.inputs_of({**values, **extra_vars}, {n: environ.get(n) for n in sorted(names)})


def live_manifest(rt: Runtime, serves: str) -> tuple[str, dict[str, Any] | None]:
    """The JSON text and the manifest deploy ``serves`` stored (checked against its digest); ("", None) when
    it stored none."""
    row = rt.journal.manifest_of(serves)
    if row is None:
        return "", None
    text = str(row["manifest"])
    if manifest_digest(text) != str(row["digest"]):
        raise UserError(
            f"the manifest of deploy {serves} does not match its digest",
            why="the journal row was altered or truncated",
            fix="deploy with --mode full (it stores a new manifest)",
        )
    return text, cast(dict[str, Any], json.loads(text))


def selection(rt: Runtime, state_dir: Path, vars_json: str) -> list[str]:
    """dbt's own ``state:modified+`` (models, seeds, snapshots) against the manifest in ``state_dir``."""
    lines: list[str] = []
    rt.engine.release_for_dbt()
    result = rt.dbt("deploy-parse").run(slim.ls_args(str(state_dir), vars_json), on_line=lines.append)
    if not result.ok:
        raise CheckFailed(
            "dbt could not select state:modified+ for the slim deploy",
            why="\n".join(result.output_tail[-15:]),
            fix="run `dbt ls --select state:modified+` locally, or deploy with --mode full",
        )
    out = []
    for line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and isinstance(item.get("unique_id"), str):
            out.append(item["unique_id"])
    return out


def narrow_selection(
    rt: Runtime,
    manifest: Mapping[str, Any],
    old: Mapping[str, Any],
    chosen: Sequence[str],
    state_dir: Path,
    vars_json: str,
) -> tuple[list[str], tuple[str, ...] | None]:
    """(the nodes of ``chosen`` a change can affect, their names for ``--select``); ``chosen`` and None
    when the analysis could not run (the deploy then builds all of ``state:modified+``)."""
    from pipelineops.execute.impact import narrow  # the same narrowing as slim-ci's

    pr_facts = slim_ci.read_manifest(manifest)
    explained = slim_ci.explain(pr_facts, slim_ci.read_manifest(old), chosen)
    narrowing = narrow(
        rt.dbt("deploy-parse"),
        rt.ctx.reporter,
        state_dir=str(state_dir),
        state_manifest=old,
        explained=explained,
        pr_facts=pr_facts,
        vars_json=vars_json,
        favor_state=False,
        dialect=rt.engine.dialect,
    )
    if narrowing.impact is None or not narrowing.impact.built:
        return list(chosen), None
    built = {d.unique_id for d in narrowing.impact.built}
    for d in narrowing.impact.skipped:
        rt.ctx.reporter.info(f"{d.name}: {d.why}")
    kept = [uid for uid in chosen if uid in built]
    return kept, tuple(pr_facts.nodes[uid].name for uid in kept)


def nodes(manifest: Mapping[str, Any]) -> list[slim.Node]:
    out = []
    for n in relation_nodes(manifest):
        base, colour = base_schema(n.schema)
        if colour:
            out.append(slim.Node(n.unique_id, n.name, base, n.alias, n.materialized, n.transient))
    return out


def relations_in(
    rt: Runtime, schemas: Sequence[str], colour: history.Colour, kind: str | None = None
) -> frozenset[tuple[str, str]]:
    present = facts.schemas(rt.engine)
    out: set[tuple[str, str]] = set()
    for s in schemas:
        physical = colour_schema(s, colour)
        if physical in present:
            out |= {(s, n.upper()) for n in facts.existing_relations(rt.engine, physical, kind)}
    return frozenset(out)


def decide(
    rt: Runtime,
    *,
    plan: Plan,
    manifest: Mapping[str, Any],
    rows: Sequence[Row],
    previous: history.Publication | None,
    idle: history.Colour,
    requested: slim.Mode,
    vars_json: str,
    extra_vars: Mapping[str, object],
    impact: str = "nodes",
) -> Decision:
    """The deploy's plan, slim when that is safe, else ``plan`` (full) with the reason.

    ``impact="columns"`` narrows ``state:modified+`` as slim-ci does (``plan/impact.py``): a descendant that
    reads none of the changed columns is carried over from the live colour like an unmodified node."""
    inputs = current_inputs(rt, manifest, extra_vars)
    all_nodes = nodes(manifest)
    relations = {n.unique_id: n.name for n in relation_nodes(manifest)}  # seeds in RAW too
    reporter = rt.ctx.reporter

    def full(reason: str) -> Decision:
        if requested == "slim":
            reporter.info(f"full deploy: {reason}")
        return Decision(
            slim.full_facts(plan, reason),
            slim.ModeRecord("full", reason, built=len(relations), inputs=inputs),
        )

    if requested == "full":
        return full("--mode full")
    if previous is None:
        return full("no live manifest: nothing is published yet")
    text, old = live_manifest(rt, previous.serves)
    large = [
        uid
        for uid, n in manifest.get("nodes", {}).items()
        if n.get("resource_type") == "seed" and (n.get("checksum") or {}).get("name") == "path"
    ]
    recorded = slim.record_of(rows, previous.serves)
    reason = slim.fallback_reason(
        requested=requested,
        live_manifest=old,
        manifest=manifest,
        live_inputs=recorded.inputs if recorded else None,
        inputs=inputs,
        large_seeds=large,
    )
    if reason:
        return full(reason)
    state_dir = rt.ctx.work_dir / "deploy-state"
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "manifest.json").write_text(text, encoding="utf-8")  # as stored: no second dump
    chosen = selection(rt, state_dir, vars_json)
    wide = len({uid for uid in chosen if uid in relations})
    narrowed: tuple[str, ...] | None = None
    if impact == "columns" and chosen and old is not None:
        chosen, narrowed = narrow_selection(rt, manifest, old, chosen, state_dir, vars_json)
    schemas = sorted({n.schema for n in all_nodes})
    carry = slim.carry_over(all_nodes, chosen, relations_in(rt, schemas, previous.colour))
    if isinstance(carry, str):
        return full(carry)
    carry = replace(carry, built=tuple(sorted(uid for uid in set(chosen) if uid in relations)))
    slim_plan = slim.slim_plan(
        plan,
        carry,
        database=rt.engine.database,
        live=previous.colour,
        idle=idle,
        state_dir=str(state_dir),
        vars_json=vars_json,
        idle_views=relations_in(rt, schemas, idle, "VIEW"),
        narrowed=narrowed,
        narrowed_from=wide,
    )
    record = slim.ModeRecord(
        "slim",
        built=len(carry.built),
        carried=len(carry.tables),
        views=len(carry.views),
        built_names=tuple(relations[uid] for uid in carry.built),
        inputs=inputs,
    )
    reporter.info(
        f"slim deploy: {record.built} node(s) to build, {record.carried} table(s) carried over, "
        f"{record.views} view(s) re-created"
    )
    return Decision(slim_plan, record, old)
