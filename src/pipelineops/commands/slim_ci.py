"""``pipelineops slim-ci --pr N``: build and test only what a pull request changed, in its own schema.

production manifest (journal of ``slim_ci.defer_to``, or ``--state-dir``) → ``dbt ls state:modified+``
(the selection, and the PR's manifest) → why each node was selected and the blind spots (plan/slim_ci)
→ optional ``dbt clone`` → ``dbt build --defer --state [--favor-state]`` into ``CI_PR_<n>*`` → report,
outputs and the sticky PR comment (marker ``slim-ci``).
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import yaml

from pipelineops.commands.pr_schema import pr_environment
from pipelineops.commands.slim_ci_report import build_report, publish_comment, repo_links
from pipelineops.config import Config, EnvironmentConfig
from pipelineops.dbt.artifacts import load_json, manifest_digest, node_results
from pipelineops.dbt.runner import DbtInvocation, DbtRunner, vars_arg
from pipelineops.engines.factory import warehouse
from pipelineops.errors import CheckFailed, PipelineOpsError, UserError
from pipelineops.execute.context import Context
from pipelineops.execute.impact import Narrowing, narrow
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import impact as im
from pipelineops.plan import slim_ci as plan
from pipelineops.plan.identifiers import check_pr_number, pr_schema_base
from pipelineops.plan.sql import Dialect, dialect_for
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
RUNBOOK = "pr-ci.md"


@dataclass(frozen=True)
class State:
    directory: Path
    source: str
    manifest: dict[str, Any]
    colour: str | None = None


def check_same_warehouse(config: Config, env: str, defer_to: str) -> None:
    """PR builds defer to production's relations: both environments must be one warehouse."""
    a, b = config.environment(env), config.environment(defer_to)
    there = warehouse(b)
    if a.engine != b.engine or warehouse(a).key != there.key:
        raise UserError(
            f"slim_ci.environment {env} and slim_ci.defer_to {defer_to} are not one warehouse",
            why="a PR build reads the unchanged models from production, so its dbt target must reach them "
            "(the local engine attaches exactly one DuckLake catalog)",
            fix=f"in {config.path.name}: " + there.share_fix.format(env=env, of=defer_to),
            runbook=RUNBOOK,
        )


def no_manifest_reason(defer_to: str) -> str:
    return (
        f"{defer_to} has no published deploy yet, so there is no production manifest to compare the PR with "
        f"or to defer to; the first deploy of {defer_to} publishes one, and later PRs build only what they change"
    )


def fetch_state(config: Config, rt_args: dict[str, Any], defer_to: str, target: Path) -> State | None:
    """The manifest the last ``defer_to`` deploy published, checked against its digest, written to ``target``.

    None when ``defer_to`` was never deployed (no journal, or no published manifest): the PR builds in full.
    """
    prod = Runtime.open(config=config, env_name=defer_to, stage="slim-ci", **rt_args)
    try:
        row = prod.journal.latest_manifest() if prod.journal.exists() else None
    finally:
        prod.close()
    if row is None:
        return None
    text = str(row["manifest"])
    if manifest_digest(text) != str(row["digest"]):
        raise UserError(
            f"the manifest of deploy {row['deploy_id']} does not match its digest",
            why="the journal row was altered or truncated",
            fix=f"re-deploy {defer_to}, or pass --state-dir with a known-good manifest.json",
            runbook=RUNBOOK,
        )
    target.mkdir(parents=True, exist_ok=True)
    (target / "manifest.json").write_text(text, encoding="utf-8")
    source = f"{defer_to} deploy {row['deploy_id']} ({row['colour']}, {str(row['digest'])[:19]}…)"
    return State(target, source, cast(dict[str, Any], json.loads(text)), str(row["colour"]))


def local_state(state_dir: str) -> State:
    path = Path(state_dir)
    if not (path / "manifest.json").is_file():
        raise UserError(
            f"--state-dir {state_dir}: no manifest.json there",
            fix="point --state-dir at the folder holding production's manifest.json, or omit it to read "
            "the manifest the last deploy published",
            runbook=RUNBOOK,
        )
    return State(path.resolve(), f"--state-dir {state_dir}", load_json(path / "manifest.json"))


def project_vars(
    config: Config, base_ref: str
) -> tuple[dict[str, object], dict[str, object] | None, str, str]:
    """(PR vars, base vars or None, label of the base, dbt_project.yml text) for the var blind spot."""
    project = config.project_dir / "dbt_project.yml"
    text = project.read_text(encoding="utf-8")
    pr_vars = cast(dict[str, object], (yaml.safe_load(text) or {}).get("vars") or {})
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=config.project_dir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        rel = project.resolve().relative_to(Path(top).resolve()).as_posix()
        old = subprocess.run(
            ["git", "show", f"{base_ref}:{rel}"], cwd=top, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        log.debug("base vars unavailable: %s", exc)
        return pr_vars, None, f"{base_ref} (not available in this checkout)", text
    return pr_vars, cast(dict[str, object], (yaml.safe_load(old) or {}).get("vars") or {}), base_ref, text


def _clone_state(
    dialect: Dialect, state: State, clone: tuple[str, ...], work: Path, consumer_schemas: tuple[str, ...]
) -> tuple[str, str]:
    """(state folder for ``dbt clone``, or why the clone is skipped)."""
    if not clone:
        return "", ""
    if not dialect.zero_copy_clone:
        return "", (
            "the local engine has no zero-copy clone (dbt-duckdb would create views, which an incremental "
            "model then rebuilds in full anyway)"
        )
    if state.colour is None:
        return "", ""
    target = work / "clone-state"
    target.mkdir(parents=True, exist_ok=True)
    data = plan.colour_state(
        state.manifest, colour=state.colour, consumer_schemas=consumer_schemas, names=clone
    )
    (target / "manifest.json").write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    return str(target), ""


def select(
    runner: DbtRunner, reporter: Reporter, state: State | None, vars_json: str
) -> tuple[list[str], dict[str, Any], DbtInvocation]:
    """dbt's own ``state:modified+`` selection (every node without a state), and the PR manifest ``dbt ls`` wrote."""
    lines: list[str] = []
    state_dir = str(state.directory) if state else ""
    with reporter.group("dbt ls --select state:modified+" if state else "dbt ls (every node)"):
        result = runner.run(plan.ls_args(state_dir, vars_json), on_line=lines.append)
    if not result.ok:
        raise CheckFailed(
            "dbt could not select state:modified+: the PR's project does not compile",
            why="\n".join(result.output_tail[-15:]),
            fix="run `dbt parse` on the PR branch and fix the error it names",
            runbook=RUNBOOK,
        )
    selected = []
    for line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and isinstance(item.get("unique_id"), str):
            selected.append(item["unique_id"])
    return selected, load_json(result.target_path / "manifest.json"), result


def unknown_base_once(spots: tuple[plan.BlindSpot, ...], base_ref: str) -> tuple[plan.BlindSpot, ...]:
    """Without the base ref no var can be said to have changed: say so once, without listing every reader."""
    return tuple(
        replace(
            s,
            message=f"var values were not compared: --base-ref {base_ref} is not available in this checkout "
            f"(fetch it, e.g. actions/checkout with fetch-depth: 0); {len(s.nodes)} node(s) read project vars",
            unselected=(),
        )
        if s.kind == "vars"
        else s
        for s in spots
    )


def narrowed(
    explained: tuple[plan.Explained, ...], narrowing: Narrowing | None
) -> tuple[plan.Explained, ...]:
    """The selection the build runs: the nodes the impact analysis builds, or all of it."""
    if narrowing is None or narrowing.impact is None:
        return explained
    built = {d.unique_id for d in narrowing.impact.built}
    return tuple(e for e in explained if e.unique_id in built)


def plan_selection(narrowing: Narrowing | None) -> tuple[str, ...] | None:
    if narrowing is None or narrowing.impact is None:
        return None
    return im.selection(narrowing.impact)


def offline_runner(config: Config, env: EnvironmentConfig, work: Path, query_tag: str) -> DbtRunner:
    """dbt for this environment without a warehouse session: the profile's variables, no secret."""
    from pipelineops.commands.doctor import offline_dbt_env

    return DbtRunner(
        project_dir=config.project_dir,
        profiles_dir=config.profiles_dir,
        target=env.dbt_target,
        env={**offline_dbt_env(env), "PIPELINEOPS_QUERY_TAG": query_tag},
        target_path=work / "target",
        log_path=work / "logs",
    )


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    pr: str,
    state_dir: str | None = None,
    base_ref: str = "origin/main",
    comment_file: str | None = None,
    impact: str | None = None,
) -> StageReport:
    started = time.monotonic()
    mode = impact or config.slim_ci_impact
    number = check_pr_number(pr)
    plan.check_git_ref(base_ref)
    env = pr_environment(config, env_name)
    check_same_warehouse(config, env, config.slim_ci_defer_to)
    rt_args: dict[str, Any] = {"dry_run": dry_run, "reporter": reporter, "environ": environ}
    work = config.root / ".pipelineops" / "runs" / env / f"slim-ci-pr-{number}"
    state = (
        local_state(state_dir)
        if state_dir
        # read production as this environment's (pull-request) identity: no production key in a PR job
        else fetch_state(
            config.connecting_as(config.slim_ci_defer_to, env),
            rt_args,
            config.slim_ci_defer_to,
            work / "state",
        )
    )
    full_build = "" if state else no_manifest_reason(config.slim_ci_defer_to)
    if full_build:
        reporter.warning(
            f"no production manifest: every node builds. {full_build}", title="pipelineops slim-ci"
        )
    vars_json = vars_arg({"pipelineops_pr": number})
    # a dry run that was given the production manifest needs nothing from the warehouse: no session
    rt = (
        None
        if dry_run and state_dir
        else Runtime.open(config=config, env_name=env, stage="slim-ci", **rt_args)
    )
    ctx = (
        rt.ctx
        if rt
        else Context(config=config, env_name=env, dry_run=dry_run, reporter=reporter, environ=environ)
    )
    env_cfg = config.environment(env)
    dialect: Dialect = rt.engine.dialect if rt else dialect_for(env_cfg.engine)
    if rt is None:
        reporter.info(
            f"dry run with --state-dir: no connection to {env} (assumed: the PR schemas are created by "
            "pr-schema, and nothing else is read from the warehouse)"
        )
    try:
        if rt is not None:
            rt.engine.release_for_dbt()
        runner = rt.dbt(work.name) if rt else offline_runner(config, env_cfg, work, ctx.query_tag("slim-ci"))
        ids, pr_manifest, _ = select(runner, reporter, state, vars_json)
        pr_facts = plan.read_manifest(pr_manifest)
        state_facts = plan.read_manifest(state.manifest) if state else None
        explained = (
            plan.explain(pr_facts, state_facts, ids)
            if state_facts is not None
            else plan.explain_full(pr_facts, ids, "no production manifest yet: every node builds")
        )
        pr_vars, base_vars, base_label, project_text = project_vars(config, base_ref)
        spots = plan.blind_spots(
            pr_facts,
            ids,
            pr_vars=pr_vars,
            base_vars=base_vars,
            base_label=base_label,
            project_env_vars=plan.env_var_names(project_text),
        )
        if base_vars is None:
            spots = unknown_base_once(spots, base_ref)
        narrowing = (
            narrow(
                runner,
                reporter,
                state_dir=str(state.directory),
                state_manifest=state.manifest,
                explained=explained,
                pr_facts=pr_facts,
                vars_json=vars_json,
                favor_state=config.favor_state,
                dialect=dialect,
            )
            if mode == "columns" and state is not None and explained
            else None
        )
        selected_all, explained = explained, narrowed(explained, narrowing)
        clone = (
            plan.clone_targets(pr_facts, state_facts, explained)
            if state_facts is not None and config.clone_incremental_parents and explained
            else ()
        )
        clone_dir, clone_skipped = (
            _clone_state(dialect, state, clone, work, config.consumer_schemas) if state else ("", "")
        )
        p = plan.build_plan(
            plan.SlimInputs(
                pr=number,
                schema=pr_schema_base(number),
                dialect=dialect,
                state_dir=str(state.directory) if state else "",
                state_source=state.source if state else f"none: {full_build}",
                vars_json=vars_json,
                favor_state=config.favor_state,
                clone=clone,
                clone_state_dir=clone_dir,
                clone_skipped=clone_skipped,
                selected=len(explained),
                comment="upsert the sticky PR comment (marker slim-ci), or write it to --comment-file",
                facts=(("environment", env), ("defers to", config.slim_ci_defer_to)),
                full_build=full_build,
                narrowed=plan_selection(narrowing),
                narrowed_from=len(selected_all),
            )
        )
        build: DbtInvocation | None = None
        notes: list[str] = []
        if rt is not None and not dry_run:
            for step in p.steps:
                if step.action != "dbt":
                    continue
                if step.name == "clone":
                    cloned = rt.run_dbt(work.name, step.dbt_args)
                    if not cloned.ok:
                        notes.append("dbt clone failed: the incremental models build in full instead")
                        reporter.warning("dbt clone failed; the build continues without the clones")
                elif step.name == "build":
                    build = rt.run_dbt(work.name, step.dbt_args)
    finally:
        if rt is not None:
            rt.close()
    outcomes = [
        plan.Outcome(r.unique_id, r.status, r.message, r.failures)
        for r in node_results(build.run_results() or {} if build else {})
    ]
    if build is not None and not build.ok and not outcomes:
        raise CheckFailed(
            f"dbt build failed before running any node (exit {build.returncode})",
            why="\n".join(build.output_tail[-15:]),
            fix="run the same dbt build locally (see the plan in --dry-run) and fix the error it names",
            runbook=RUNBOOK,
        )
    links = repo_links(config, environ)
    report = build_report(
        pr=number,
        plan_=p,
        explained=explained,
        spots=spots,
        tally=plan.tally(len(explained), outcomes),
        pr_facts=pr_facts,
        dry_run=dry_run,
        build_ok=build.ok if build else True,
        notes=notes,
        duration=time.monotonic() - started,
        run_url=ctx.run_url or None,
        outcomes=outcomes,
        project_prefix=links[0],
        source_url=links[1],
        narrowing=narrowing,
        impact_mode=mode,
    )
    if dry_run:
        if not comment_file:
            return report
        where = publish_comment(report, pr=number, environ=environ, comment_file=comment_file)
        return replace(report, facts=(*report.facts, ("PR comment", where)))
    from pipelineops.commands.data_diff import for_slim_ci  # data_diff reuses this module's selection

    report = for_slim_ci(
        report,
        config=config,
        env=env,
        rt_args=rt_args,
        pr_manifest=pr_manifest,
        prod_manifest=state.manifest if state else None,
        modified=[
            e.unique_id
            for e in explained
            if e.role == "modified"
            and any(o.unique_id == e.unique_id and o.status == "success" for o in outcomes)
        ],
    )
    try:
        where = publish_comment(report, pr=number, environ=environ, comment_file=comment_file)
    except PipelineOpsError as exc:
        reporter.warning(f"the PR comment was not posted: {exc.what}", title="pipelineops slim-ci")
        where = f"not posted: {exc.what}"
    return replace(report, facts=(*report.facts, ("PR comment", where)))
