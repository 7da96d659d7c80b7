"""``pipelineops data-diff --pr N``: what a pull request's modified models do to production's data.

production manifest (as slim-ci reads it) → ``dbt ls state:modified+`` → the modified models (plan/slim_ci)
→ one spec per model (plan/data_diff_specs: PR relation, production relation, key, sensitive columns) → per
model, on the PR environment's warehouse (execute/data_diff ``diff_models``): columns of both sides, row
counts, then the key diff (or the profiles) with the SQL of plan/sql/data_diff → report/data_diff. slim-ci
runs the same ``diff_models`` after its build and adds the sections to its PR comment (``for_slim_ci``).
``--dry-run`` prints ``plan/data_diff.read_plan``.

Cost: a Snowflake session carries the query tag of stage ``data-diff`` and a statement timeout of the
model's budget; both engines stop a model's remaining statements once its budget is spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipelineops.commands.pr_schema import pr_environment
from pipelineops.commands.slim_ci import check_same_warehouse, fetch_state, local_state, select
from pipelineops.config import Config
from pipelineops.config.model import DataDiffConfig
from pipelineops.dbt.runner import vars_arg
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.execute.data_diff import diff_models
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import data_diff as plan
from pipelineops.plan import data_diff_specs, slim_ci
from pipelineops.plan.identifiers import check_pr_number
from pipelineops.plan.steps import render_plan
from pipelineops.report import data_diff as render
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)


def specs_for(
    cfg: DataDiffConfig,
    pr_manifest: Mapping[str, Any],
    prod_manifest: Mapping[str, Any] | None,
    modified: Sequence[str],
) -> tuple[data_diff_specs.ModelSpec, ...]:
    return data_diff_specs.model_specs(
        pr_manifest, prod_manifest, modified, keys=cfg.keys_by_model(), sensitive=cfg.sensitive
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
) -> StageReport:
    started = time.monotonic()
    number = check_pr_number(pr)
    env = pr_environment(config, env_name)
    check_same_warehouse(config, env, config.slim_ci_defer_to)
    cfg = config.slim_ci_diff
    rt_args: dict[str, Any] = {"dry_run": dry_run, "reporter": reporter, "environ": environ}
    work = config.root / ".pipelineops" / "runs" / env / f"data-diff-pr-{number}"
    state = (
        local_state(state_dir)
        if state_dir
        else fetch_state(config, rt_args, config.slim_ci_defer_to, work / "state")
    )
    if state is None:
        raise UserError(
            f"{config.slim_ci_defer_to} has no published deploy: there is no production data to compare with",
            fix=f"deploy {config.slim_ci_defer_to} first, or pass --state-dir with its manifest.json",
            runbook=plan.RUNBOOK,
        )
    rt = Runtime.open(config=config, env_name=env, stage=plan.STAGE, create_warehouse=False, **rt_args)
    try:
        rt.engine.release_for_dbt()
        ids, pr_manifest, _ = select(rt.dbt(work.name), reporter, state, vars_arg({"pipelineops_pr": number}))
        explained = slim_ci.explain(
            slim_ci.read_manifest(pr_manifest), slim_ci.read_manifest(state.manifest), ids
        )
        modified = [e.unique_id for e in explained if e.role == "modified"]
        specs = specs_for(cfg, pr_manifest, state.manifest, modified)
        p = plan.read_plan(
            specs, budget_seconds=cfg.budget_seconds, threshold=cfg.threshold, dialect=rt.engine.dialect
        )
        diffs = () if dry_run else diff_models(rt.engine, specs, cfg)
    finally:
        rt.close()
    facts = (("environment", env), ("compared with", state.source), ("modified models", str(len(specs))))
    if dry_run:
        return StageReport(
            stage=plan.STAGE,
            conclusion="skipped",
            title=f"Dry run: would compare {len(specs)} modified model(s) with production",
            facts=facts,
            sections=(Section("Plan", text=render_plan(p)),),
            duration_s=time.monotonic() - started,
            data={"pr": number, "plan": [s.__dict__ for s in p.steps]},
        )
    changed = sum(1 for d in diffs if d.counts and (d.counts.added or d.counts.removed or d.counts.changed))
    return StageReport(
        stage=plan.STAGE,
        conclusion="success",
        title=f"{len(diffs)} modified model(s) compared with production; {changed} with changed rows",
        facts=facts,
        sections=render.sections(diffs),
        duration_s=time.monotonic() - started,
        data={"pr": number, "data_diff": render.as_json(diffs)},
    )


def for_slim_ci(
    report: StageReport,
    *,
    config: Config,
    env: str,
    rt_args: dict[str, Any],
    pr_manifest: Mapping[str, Any],
    prod_manifest: Mapping[str, Any] | None,
    modified: Sequence[str],
) -> StageReport:
    """slim-ci's report with the "Data changes" of the modified models it built (``slim_ci.diff.enabled``).

    A failure here never fails the build: the comment says the diff is missing, and why.
    """
    cfg = config.slim_ci_diff
    if not cfg.enabled or prod_manifest is None:
        return report
    specs = specs_for(cfg, pr_manifest, prod_manifest, modified)
    if not specs:
        return report
    try:
        rt = Runtime.open(config=config, env_name=env, stage=plan.STAGE, create_warehouse=False, **rt_args)
        try:
            diffs = diff_models(rt.engine, specs, cfg)
        finally:
            rt.close()
    except PipelineOpsError as exc:
        rt_args["reporter"].warning(f"the data diff was skipped: {exc.what}", title="pipelineops slim-ci")
        return replace(
            report,
            sections=(*report.sections, Section(render.TITLE, text=f"Not compared: {exc.what}")),
        )
    return render.attach(report, diffs)
