"""``pipelineops bluegreen-swap``: build the idle colour, gate it, publish it atomically, journal it all.

The command loads its inputs and hands the deploy to the executor (``execute/deploy.py``): lock first,
then the live colour read under the lock, the plan, the steps, the journal. ``--dry-run`` prints the plan
the same code would run, from the journal as it is now, without taking the lock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping

from pipelineops.commands import alerts, audit
from pipelineops.commands.deploy_report import deploy_report, parse_vars, project_prefix
from pipelineops.config import Config
from pipelineops.errors import CheckFailed, PipelineOpsError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.deploy import Deployer
from pipelineops.execute.operation import check_op_id, default_op_id, production_unchanged
from pipelineops.execute.runtime import Runtime
from pipelineops.execute.target import check_deploy_target
from pipelineops.plan import history
from pipelineops.plan.slim_deploy import Mode
from pipelineops.plan.steps import render_plan
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    deploy_id: str | None = None,
    git_sha: str | None = None,
    force_unlock: bool = False,
    vars: str = "",
    allow_rolled_back: bool = False,
    mode: str | None = None,
    impact: str | None = None,
) -> StageReport:
    chosen: Mode = "full" if (mode or config.deploy_mode) == "full" else "slim"
    return run_deploy(
        functools.partial(Deployer, mode=chosen, impact=impact or "nodes"),
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        deploy_id=deploy_id,
        git_sha=git_sha,
        force_unlock=force_unlock,
        vars=vars,
        allow_rolled_back=allow_rolled_back,
    )


DeployerFactory = Callable[..., Deployer]


def run_deploy(
    make: DeployerFactory,
    *,
    stage: str = Deployer.stage,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    deploy_id: str | None,
    git_sha: str | None,
    force_unlock: bool,
    vars: str,
    allow_rolled_back: bool = False,
) -> StageReport:
    """Plan, then print (--dry-run) or execute, a deploy made by ``make(rt, deploy_id=, git_sha=,
    extra_vars=, allow_rolled_back=)`` (``Deployer`` or a subclass); ``stage`` names the query tag."""
    started = time.monotonic()
    check_deploy_target(config, env_name)
    extra_vars = parse_vars(vars)
    if deploy_id:
        check_op_id(deploy_id, option="--deploy-id")
    rt = Runtime.open(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage=stage,
    )
    try:
        sha = git_sha or facts.git_sha(config.root)
        did = deploy_id or default_op_id(environ, "", rt.ctx.clock().strftime("%Y%m%dT%H%M%S"), sha[:7])
        reporter.info(f"deploy id: {did} (a re-run with --deploy-id {did} resumes this deploy)")
        deployer = make(
            rt, deploy_id=did, git_sha=sha, extra_vars=extra_vars, allow_rolled_back=allow_rolled_back
        )
        rows = rt.journal.history() if config.journal_schema in facts.schemas(rt.engine) else []
        deployer.preflight(rows)
        if dry_run:
            plan = deployer.plan(rows)
            return StageReport(
                stage=deployer.stage,
                conclusion="skipped",
                title=deployer.dry_run_title(),
                facts=(("deploy id", did), *plan.facts),
                sections=(Section("Plan", text=render_plan(plan)),),
                data={"plan": [s.__dict__ for s in plan.steps]},
                duration_s=time.monotonic() - started,
            )
        try:
            result = deployer.execute(force_unlock=force_unlock)
        except PipelineOpsError as exc:
            exc.production = production_unchanged(rt, history.live(rows), env_name)
            alerts.on_deploy_error(rt, exc)  # the webhook, when configured: lock held too long, or failed
            raise
        journal = rt.journal.history()  # the advice (undo, what was lost) is computed from it
        audit.publish_summary(rt)  # the delivery numbers (DORA) and a chart, in the step summary
    finally:
        rt.close()
    return alerts.on_deploy(
        rt.ctx,
        deploy_report(
            result,
            time.monotonic() - started,
            rows=journal,
            environ=environ,
            manifest=deployer.manifest,
            project_prefix=project_prefix(config.root, config.project_dir),
        ),
    )


__all__ = ["CheckFailed", "run"]
