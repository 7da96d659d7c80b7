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
from pipelineops.plan.sql import Dialect
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

Role = Literal["modified", "downstream", "selected"]
SpotKind = Literal["vars", "env_var", "large-seed"]
BUILDABLE = ("model", "seed", "snapshot")
RUNNABLE = ("model", "seed", "snapshot", "test", "unit_test")
LS_RESOURCE_TYPES = ("model", "seed", "snapshot", "test", "unit_test")
_VAR = re.compile(r"(?<![A-Za-z0-9_])var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
_ENV_VAR = re.compile(r"(?<![A-Za-z0-9_])env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
# Keys of a node's config that say where or how it is built in *this* invocation, not what it is.
_VOLATILE_CONFIG = frozenset({"schema", "database", "alias"})
_PROPERTY_KEYS = ("description", "columns", "contract", "constraints", "meta", "docs", "tags")


# --- reading a manifest (typed, no Any) ----------------------------------------------------------


def _obj(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _canon(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class NodeFacts:
    unique_id: str
    resource_type: str
    name: str
    path: str
    patch_path: str
    checksum_name: str
    checksum: str
    materialized: str
    config: tuple[tuple[str, str], ...]
    properties: tuple[tuple[str, str], ...]
    parents: tuple[str, ...]
    macros: tuple[str, ...]
    raw_code: str


@dataclass(frozen=True)
class MacroFacts:
    unique_id: str
    checksum: str
    macros: tuple[str, ...]
    sql: str


@dataclass(frozen=True)
class ManifestFacts:
    nodes: Mapping[str, NodeFacts]
    macros: Mapping[str, MacroFacts]


def read_manifest(manifest: Mapping[str, object]) -> ManifestFacts:
    nodes: dict[str, NodeFacts] = {}
    entries = [*_obj(manifest.get("nodes")).items(), *_obj(manifest.get("unit_tests")).items()]
    for uid, raw in entries:
        node = _obj(raw)
        config = _obj(node.get("config"))
        checksum = _obj(node.get("checksum"))
        depends = _obj(node.get("depends_on"))
        nodes[uid] = NodeFacts(
            unique_id=uid,
            resource_type=str(node.get("resource_type") or uid.split(".", 1)[0]),
            name=str(node.get("name", uid)),
            path=str(node.get("original_file_path") or node.get("path") or ""),
            patch_path=str(node.get("patch_path") or "").split("://")[-1],
            checksum_name=str(checksum.get("name", "")),
            checksum=str(checksum.get("checksum", "")),
            materialized=str(config.get("materialized", "")),
            config=tuple(sorted((k, _canon(v)) for k, v in config.items() if k not in _VOLATILE_CONFIG)),
            properties=tuple((k, _canon(node.get(k))) for k in _PROPERTY_KEYS),
            parents=_list(depends.get("nodes")),
            macros=_list(depends.get("macros")),
            raw_code=str(node.get("raw_code") or ""),
        )
    macros: dict[str, MacroFacts] = {}
    for uid, raw in _obj(manifest.get("macros")).items():
        macro = _obj(raw)
        sql = str(macro.get("macro_sql", ""))
        macros[uid] = MacroFacts(uid, _canon(sql), _list(_obj(macro.get("depends_on")).get("macros")), sql)
    return ManifestFacts(nodes, macros)


# --- why each node was selected ------------------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    unique_id: str
    name: str
    resource_type: str
    path: str
    role: Role
    reasons: tuple[str, ...]


def _macro_closure(macros: Iterable[str], index: Mapping[str, MacroFacts]) -> set[str]:
    seen: set[str] = set()
    todo = list(macros)
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        found = index.get(uid)
        if found is not None:
            todo.extend(found.macros)
    return seen


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
    for uid in sorted(_macro_closure(new.macros, pr.macros)):
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


# --- blind spots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlindSpot:
    kind: SpotKind
    message: str
    nodes: tuple[str, ...] = ()
    unselected: tuple[str, ...] = ()


def _readers(pattern: re.Pattern[str], names: set[str], pr: ManifestFacts) -> tuple[str, ...]:
    """Buildable or test nodes whose SQL, or any macro they call, reads one of ``names``."""
    hits_macro = {uid for uid, m in pr.macros.items() if set(pattern.findall(m.sql)) & names}
    out = []
    for uid, node in pr.nodes.items():
        if node.resource_type not in RUNNABLE:
            continue
        if set(pattern.findall(node.raw_code)) & names or _macro_closure(node.macros, pr.macros) & hits_macro:
            out.append(uid)
    return tuple(sorted(out))


def changed_vars(pr_vars: Mapping[str, object], base_vars: Mapping[str, object]) -> tuple[str, ...]:
    keys = set(pr_vars) | set(base_vars)
    return tuple(sorted(k for k in keys if _canon(pr_vars.get(k)) != _canon(base_vars.get(k))))


def blind_spots(
    pr: ManifestFacts,
    selected: Iterable[str],
    *,
    pr_vars: Mapping[str, object],
    base_vars: Mapping[str, object] | None,
    base_label: str,
    project_env_vars: Sequence[str] = (),
) -> tuple[BlindSpot, ...]:
    """The blind spots of ``state:modified`` that apply to this PR."""
    chosen = set(selected)
    spots: list[BlindSpot] = []
    if base_vars is None:
        if pr_vars:
            names = set(pr_vars)
            readers = _readers(_VAR, names, pr)
            spots.append(
                BlindSpot(
                    "vars",
                    f"var values could not be compared with {base_label} (dbt manifests do not record "
                    f"them); {len(readers)} node(s) read project vars ({', '.join(sorted(names))})",
                    readers,
                    tuple(r for r in readers if r not in chosen),
                )
            )
    else:
        names = set(changed_vars(pr_vars, base_vars))
        if names:
            readers = _readers(_VAR, names, pr)
            spots.append(
                BlindSpot(
                    "vars",
                    f"dbt_project.yml vars changed vs {base_label}: {', '.join(sorted(names))}; "
                    "state:modified does not see var values",
                    readers,
                    tuple(r for r in readers if r not in chosen),
                )
            )
    env_names: set[str] = set()
    for node in pr.nodes.values():
        env_names.update(_ENV_VAR.findall(node.raw_code))
    for macro in pr.macros.values():
        if not macro.unique_id.startswith(("macro.dbt.", "macro.dbt_")):
            env_names.update(_ENV_VAR.findall(macro.sql))
    env_names.update(project_env_vars)
    if env_names:
        readers = _readers(_ENV_VAR, env_names, pr)
        spots.append(
            BlindSpot(
                "env_var",
                f"values read with env_var() ({', '.join(sorted(env_names))}) are not compared by "
                "state:modified; a different value in CI or production changes results unseen",
                readers,
                tuple(r for r in readers if r not in chosen),
            )
        )
    large = tuple(
        sorted(uid for uid, n in pr.nodes.items() if n.resource_type == "seed" and n.checksum_name == "path")
    )
    if large:
        spots.append(
            BlindSpot(
                "large-seed",
                "seeds over 1 MiB are compared by path only: a change to their content is not selected",
                large,
                tuple(r for r in large if r not in chosen),
            )
        )
    return tuple(spots)


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
    for raw in _obj(data.get("nodes")).values():
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


def ls_args(state_dir: str, vars_json: str) -> tuple[str, ...]:
    types = tuple(a for t in LS_RESOURCE_TYPES for a in ("--resource-type", t))
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


def build_plan(inputs: SlimInputs) -> Plan:
    """The steps after selection: clone (optional), build, comment. Nothing to build → only a note."""
    steps: list[Step] = []
    if inputs.selected == 0:
        steps.append(Step("build", "skipped because this PR changes no dbt node", action="note"))
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
        steps.append(
            Step(
                "build",
                f"build and test state:modified+ ({inputs.selected} nodes) into {inputs.schema}*, "
                "deferring everything else to production",
                action="dbt",
                dbt_args=(
                    "build",
                    "--select",
                    "state:modified+",
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
    return tuple(sorted(set(_ENV_VAR.findall(text))))
