"""Slim CI, pure: why dbt selected each node, the blind spots of ``state:modified``, the dbt commands.

dbt decides the selection (``dbt ls --select state:modified+ --state <production manifest>``); this module
explains it by diffing the PR manifest against the production one — new nodes, changed files (checksum),
changed configs, changed properties, changed macros — and names every selected node either *modified*
(with its reasons) or *downstream* (with the modified ancestor that pulled it in). It also flags what
``state:modified`` cannot see: changed ``vars`` values, values read with ``env_var()``, and seeds over
1 MiB, which dbt compares by path only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from pipelineops.errors import UserError
from pipelineops.plan.blind_spots import (  # re-exported: part of the slim-ci plan's interface
    ENV_VAR_CALL,
)
from pipelineops.plan.blind_spots import (
    RUNNABLE as RUNNABLE,
)
from pipelineops.plan.blind_spots import (
    BlindSpot as BlindSpot,
)
from pipelineops.plan.blind_spots import (
    SpotKind as SpotKind,
)
from pipelineops.plan.blind_spots import (
    blind_spots as blind_spots,
)
from pipelineops.plan.blind_spots import (
    changed_vars as changed_vars,
)
from pipelineops.plan.manifest_facts import (  # re-exported: part of the slim-ci plan's interface
    MacroFacts as MacroFacts,
)
from pipelineops.plan.manifest_facts import (
    ManifestFacts as ManifestFacts,
)
from pipelineops.plan.manifest_facts import (
    NodeFacts as NodeFacts,
)
from pipelineops.plan.manifest_facts import (
    macro_closure,
    obj,
)
from pipelineops.plan.manifest_facts import (
    read_manifest as read_manifest,
)
from pipelineops.plan.sql import Dialect
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

Role = Literal["modified", "downstream", "selected"]
BUILDABLE = ("model", "seed", "snapshot")
LS_RESOURCE_TYPES = ("model", "seed", "snapshot", "test", "unit_test")


# --- why each node was selected ------------------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    unique_id: str
    name: str
    resource_type: str
    path: str
    role: Role
    reasons: tuple[str, ...]


def changes(
    new: NodeFacts, old: NodeFacts | None, pr: ManifestFacts, state: ManifestFacts
) -> tuple[str, ...]:
    """Why ``new`` differs from its production version; empty when this diff finds no difference."""
    if old is None:
        return (f"new {new.resource_type} ({new.path})",)
    out: list[str] = []
    if new.checksum != old.checksum or new.checksum_name != old.checksum_name:
        out.append(f"file changed: {new.path}")
    old_config = dict(old.config)
    changed = sorted(
        k
        for k in {k for k, _ in new.config} | set(old_config)
        if dict(new.config).get(k) != old_config.get(k)
    )
    if changed:
        out.append(f"config changed: {', '.join(changed)}")
    old_props = dict(old.properties)
    props = [k for k, v in new.properties if old_props.get(k) != v]
    if props:
        out.append(f"properties changed ({', '.join(props)}) in {new.patch_path or new.path}")
    for uid in sorted(macro_closure(new.macros, pr.macros)):
        now, before = pr.macros.get(uid), state.macros.get(uid)
        if now is not None and (before is None or before.checksum != now.checksum):
            out.append(f"macro {'added' if before is None else 'changed'}: {uid.split('.')[-1]}")
    return tuple(out)


def explain(pr: ManifestFacts, state: ManifestFacts, selected: Iterable[str]) -> tuple[Explained, ...]:
    """Every selected node, modified ones first (with reasons), then downstream ones (with the ancestor)."""
    chosen = [uid for uid in dict.fromkeys(selected) if uid in pr.nodes]
    reasons = {uid: changes(pr.nodes[uid], state.nodes.get(uid), pr, state) for uid in chosen}
    modified = {uid for uid, why in reasons.items() if why}
    out: list[Explained] = []
    for uid in chosen:
        node = pr.nodes[uid]
        if uid in modified:
            role: Role = "modified"
            why = reasons[uid]
        else:
            ancestor = _nearest(uid, modified, pr)
            role = "downstream" if ancestor else "selected"
            why = (
                (f"downstream of {pr.nodes[ancestor].name}",)
                if ancestor
                else ("selected by dbt's state:modified; this manifest diff finds no change",)
            )
        out.append(Explained(uid, node.name, node.resource_type, node.path, role, why))
    order = {"modified": 0, "downstream": 1, "selected": 2}
    return tuple(sorted(out, key=lambda e: (order[e.role], e.resource_type != "model", e.unique_id)))


def explain_full(pr: ManifestFacts, selected: Iterable[str], reason: str) -> tuple[Explained, ...]:
    """Every node of a full build (no production manifest to diff against), each with the same reason."""
    chosen = [uid for uid in dict.fromkeys(selected) if uid in pr.nodes]
    out = [
        Explained(
            uid, pr.nodes[uid].name, pr.nodes[uid].resource_type, pr.nodes[uid].path, "selected", (reason,)
        )
        for uid in chosen
    ]
    return tuple(sorted(out, key=lambda e: (e.resource_type != "model", e.unique_id)))


def _nearest(uid: str, modified: set[str], pr: ManifestFacts) -> str | None:
    """The closest modified ancestor of ``uid`` (breadth-first over parents), or None."""
    frontier, seen = [uid], {uid}
    while frontier:
        nxt: list[str] = []
        for current in frontier:
            parents = pr.nodes[current].parents if current in pr.nodes else ()
            for parent in sorted(parents):
                if parent in modified:
                    return parent
                if parent not in seen:
                    seen.add(parent)
                    nxt.append(parent)
        frontier = nxt
    return None


# --- clone and build ------------------------------------------------------------------------------


def clone_targets(pr: ManifestFacts, state: ManifestFacts, explained: Sequence[Explained]) -> tuple[str, ...]:
    """What ``dbt clone`` copies from production before the build, as node names.

    The production state (``{{ this }}``) of every selected incremental model that production has, so
    the PR build runs the incremental path; and the unmodified, unselected parents of every modified
    incremental model, so the PR schema holds what those models read.
    """
    selected = {e.unique_id for e in explained}
    modified = {e.unique_id for e in explained if e.role == "modified"}
    out: set[str] = set()
    for uid in selected:
        node = pr.nodes[uid]
        if node.materialized != "incremental":
            continue
        if uid in state.nodes:
            out.add(uid)
        if uid in modified:
            for parent in node.parents:
                p = pr.nodes.get(parent)
                if (
                    p is not None
                    and parent not in selected
                    and parent in state.nodes
                    and p.resource_type in BUILDABLE
                    and p.materialized != "ephemeral"
                ):
                    out.add(parent)
    return tuple(sorted(pr.nodes[uid].name for uid in out))


def colour_state(
    manifest: Mapping[str, object], *, colour: str, consumer_schemas: Sequence[str], names: Sequence[str]
) -> dict[str, object]:
    """A copy of the deferral manifest whose clone targets point at the live colour's tables.

    The published manifest points at the consumer *views* (stable for deferral); ``dbt clone`` of a view
    makes a view, while a clone of the colour's table is a zero-copy table (Snowflake) that an
    incremental model can extend. The live colour is not rebuilt before the next cutover.
    """
    data = cast(dict[str, object], json.loads(json.dumps(manifest, default=str)))
    consumer = {s.upper() for s in consumer_schemas}
    wanted = set(names)
    for raw in obj(data.get("nodes")).values():
        if not isinstance(raw, dict) or raw.get("name") not in wanted:
            continue
        schema = str(raw.get("schema", "")).upper()
        if schema not in consumer:
            continue
        target = f"{schema}__{colour}"
        raw["schema"] = target
        alias = raw.get("alias") or raw.get("name")
        raw["relation_name"] = f'"{raw.get("database")}"."{target}"."{alias}"'
    return data


@dataclass(frozen=True)
class SlimInputs:
    pr: int
    schema: str
    dialect: Dialect
    state_dir: str
    state_source: str
    vars_json: str
    favor_state: bool
    clone: tuple[str, ...]
    selected: int
    clone_state_dir: str = ""
    clone_skipped: str = ""
    comment: str = ""
    facts: tuple[tuple[str, str], ...] = field(default=())
    full_build: str = ""  # why every node builds (no production manifest); empty: state:modified+
    narrowed: tuple[str, ...] | None = None  # column-aware: the nodes to build by name; None: state:modified+
    narrowed_from: int = 0  # how many nodes state:modified+ selected before narrowing


def ls_args(state_dir: str, vars_json: str) -> tuple[str, ...]:
    """``dbt ls`` of state:modified+ against ``state_dir``; every node when ``state_dir`` is empty."""
    types = tuple(a for t in LS_RESOURCE_TYPES for a in ("--resource-type", t))
    select = ("--select", "state:modified+", "--state", state_dir) if state_dir else ()
    return (
        "ls",
        *select,
        "--vars",
        vars_json,
        *types,
        "--output",
        "json",
        "--output-keys",
        "unique_id",
        "--quiet",
    )


def compile_args(state_dir: str, vars_json: str, *, favor_state: bool) -> tuple[str, ...]:
    """``dbt compile`` of state:modified+ (the PR's SQL of every candidate), deferring like the build."""
    favor = ("--favor-state",) if favor_state else ()
    return (
        "compile",
        "--select",
        "state:modified+",
        "--defer",
        "--state",
        state_dir,
        *favor,
        "--vars",
        vars_json,
        "--quiet",
    )


def inline_args(raw_code: str, state_dir: str, vars_json: str) -> tuple[str, ...]:
    """``dbt compile --inline`` of production's raw code of one model, in the PR's project."""
    return (
        "compile",
        "--inline",
        raw_code,
        "--defer",
        "--state",
        state_dir,
        "--favor-state",
        "--vars",
        vars_json,
        "--output",
        "json",
        "--quiet",
    )


def inline_sql(lines: Sequence[str]) -> str | None:
    """The SQL ``dbt compile --inline --output json`` printed; None when it printed none."""
    text = "\n".join(lines)
    start = text.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(text[start : text.rfind("}") + 1])
    except json.JSONDecodeError:
        return None
    compiled = data.get("compiled") if isinstance(data, dict) else None
    return compiled if isinstance(compiled, str) and compiled.strip() else None


def _build_select(inputs: SlimInputs) -> tuple[tuple[str, ...], str]:
    if inputs.narrowed is None:
        return ("state:modified+",), f"build and test state:modified+ ({inputs.selected} nodes)"
    return inputs.narrowed, (
        f"build and test the {inputs.selected} of {inputs.narrowed_from} state:modified+ nodes a change can "
        "affect (column-aware)"
    )


def build_plan(inputs: SlimInputs) -> Plan:
    """The steps after selection: clone (optional), build, comment. Nothing to build → only a note."""
    steps: list[Step] = []
    if inputs.selected == 0:
        steps.append(Step("build", "skipped because this PR changes no dbt node", action="note"))
    elif inputs.full_build:
        steps.append(
            Step(
                "build",
                f"build and test every node ({inputs.selected} nodes) into {inputs.schema}*: "
                f"{inputs.full_build}",
                action="dbt",
                dbt_args=("build", "--vars", inputs.vars_json),
            )
        )
    else:
        if inputs.clone and inputs.clone_skipped:
            steps.append(Step("clone", f"skipped: {inputs.clone_skipped}", action="note"))
        elif inputs.clone:
            steps.append(
                Step(
                    "clone",
                    "copy production's incremental models (and the unmodified parents of modified "
                    "incremental models) into the PR schema, so the build takes the incremental path",
                    action="dbt",
                    dbt_args=(
                        "clone",
                        "--select",
                        *inputs.clone,
                        "--state",
                        inputs.clone_state_dir or inputs.state_dir,
                        "--vars",
                        inputs.vars_json,
                    ),
                )
            )
        favor = ("--favor-state",) if inputs.favor_state else ()
        chosen, what = _build_select(inputs)
        steps.append(
            Step(
                "build",
                f"{what} into {inputs.schema}*, deferring everything else to production",
                action="dbt",
                dbt_args=(
                    "build",
                    "--select",
                    *chosen,
                    "--defer",
                    "--state",
                    inputs.state_dir,
                    *favor,
                    "--vars",
                    inputs.vars_json,
                ),
            )
        )
    if inputs.comment:
        steps.append(Step("comment", inputs.comment, action="note"))
    facts = (
        ("pull request", str(inputs.pr)),
        ("schema", inputs.schema),
        ("state", inputs.state_source),
        *inputs.facts,
    )
    return Plan("slim-ci", inputs.dialect, tuple(steps), facts=facts)


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    unique_id: str
    status: str
    message: str = ""
    failures: int | None = None


@dataclass(frozen=True)
class Tally:
    selected: int
    built: int
    passed: int
    warned: int
    failed: int
    skipped: int
    failures: tuple[Outcome, ...]


def tally(selected: int, outcomes: Sequence[Outcome]) -> Tally:
    """Counts by kind: ``built`` relations, ``passed``/``warned``/``failed`` tests, errors count as failed."""
    built = passed = warned = skipped = 0
    failures: list[Outcome] = []
    for o in outcomes:
        kind = o.unique_id.split(".", 1)[0]
        if o.status in ("error", "fail", "runtime error"):
            failures.append(o)
        elif o.status == "skipped":
            skipped += 1
        elif kind in BUILDABLE and o.status == "success":
            built += 1
        elif o.status == "pass":
            passed += 1
        elif o.status == "warn":
            warned += 1
    return Tally(selected, built, passed, warned, len(failures), skipped, tuple(failures))


# --- inputs that come from a branch ----------------------------------------------------------------

_GIT_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}\Z")


def check_git_ref(value: str, *, field: str = "--base-ref") -> str:
    """A branch, tag, remote ref or SHA: ASCII letters, digits and ``._/-``; never an option or a range."""
    shown = ascii(value if len(value) <= 60 else value[:57] + "...")
    if (
        not value.isascii()
        or not _GIT_REF.match(value)
        or ".." in value
        or "//" in value
        or value.endswith(("/", ".", ".lock"))
    ):
        raise UserError(
            f"{field} = {shown} is not a git ref we accept",
            why="refs come from branch names; only ASCII letters, digits, '.', '_', '/' and '-' are allowed, "
            "at most 200 characters, not starting with '-' and without '..'",
            fix=f"pass the base branch as the workflow gives it, e.g. {field} origin/main",
            runbook="pr-ci.md",
        )
    return value


def env_var_names(text: str) -> tuple[str, ...]:
    """Names read with ``env_var('…')`` in a text such as dbt_project.yml."""
    return tuple(sorted(set(ENV_VAR_CALL.findall(text))))
