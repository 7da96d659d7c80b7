"""``pipelineops rollback``: re-publish an earlier good build, or restore one table with time travel.

Every mode is one journalled operation with an id (``--rollback-id``; ``gh-<run id>`` in GitHub Actions),
run by the executor under the deploy lock; a re-run with the same id finishes that operation or reports it
done. Neither mode destroys data: a re-publish only re-points views; a restore keeps the replaced rows
aside. ``--dry-run`` prints the exact statements.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from pipelineops.commands import alerts, time_travel
from pipelineops.config import Config
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.operation import check_op_id, default_op_id, production_unchanged
from pipelineops.execute.republish import Rollback, RollbackResult
from pipelineops.execute.runtime import Runtime
from pipelineops.execute.target import check_deploy_target
from pipelineops.plan import history
from pipelineops.report import advice
from pipelineops.report.advice import build_name
from pipelineops.report.model import Cell, Link, Section, StageReport
from pipelineops.report.reporter import Reporter

RUNBOOK = "rollback.md"
PREFIX = {"republish": "rollback-", "time-travel": "restore-", "purge-aside": "purge-"}


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    to_deploy: str | None = None,
    mode: str = "republish",
    reason: str = "",
    model: str | None = None,
    at: str | None = None,
    offset: int | None = None,
    before_statement: str | None = None,
    to_version: int | None = None,
    force_unlock: bool = False,
    rollback_id: str | None = None,
) -> StageReport:
    if env_name in config.require_reason_in and not reason.strip() and not dry_run:
        raise UserError(
            f"a rollback in {env_name} needs --reason",
            fix='say why, e.g. --reason "orders mart double-counts refunds since deploy gh-123-1"',
            runbook=RUNBOOK,
        )
    check_deploy_target(config, env_name)
    if rollback_id:
        check_op_id(rollback_id, option="--rollback-id")
    started = time.monotonic()
    rt = Runtime.open(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage="rollback",
        create_warehouse=False,  # nothing to roll back in a warehouse that does not exist
    )
    try:
        if config.journal_schema not in facts.schemas(rt.engine):
            raise UserError(
                f"nothing to roll back in {env_name}: no deploy has been journalled there",
                fix="deploy first (pipelineops bluegreen-swap)",
                runbook=RUNBOOK,
            )
        op_id = rollback_id or default_op_id(environ, PREFIX[mode], rt.ctx.clock().strftime("%Y%m%dT%H%M%S"))
        if not dry_run:
            reporter.info(f"{mode} id: {op_id} (a re-run with --rollback-id {op_id} finishes this operation)")
        if mode == "purge-aside":
            return time_travel.purge_aside(
                rt,
                purge_id=op_id,
                confirm=to_deploy,
                reason=reason,
                force_unlock=force_unlock,
                started=started,
            )
        if mode == "time-travel":
            point = time_travel.point_in_time(
                rt,
                rt.journal.history(),
                at=at,
                offset=offset,
                before_statement=before_statement,
                to_version=to_version,
                to_deploy=to_deploy,
            )
            restored = time_travel.restore(
                rt,
                restore_id=op_id,
                model=model,
                point=point,
                reason=reason,
                force_unlock=force_unlock,
                started=started,
            )
            return alerts.on_report(rt.ctx, restored, event="rollback-done", when="success")
        return _republish(
            rt, op_id, to_deploy=to_deploy, reason=reason, force_unlock=force_unlock, started=started
        )
    finally:
        rt.close()


def _republish(
    rt: Runtime, op_id: str, *, to_deploy: str | None, reason: str, force_unlock: bool, started: float
) -> StageReport:
    env_name = rt.ctx.env_name
    job = Rollback(rt, rollback_id=op_id, to_deploy=to_deploy, reason=reason)
    if rt.ctx.dry_run:
        rows = rt.journal.history()
        plan = job.plan(rows)
        target = job.target
        assert target is not None
        if plan is None:
            return _already_live(env_name, target.colour, target.deploy_id)
        return time_travel.dry_run_report(
            plan,
            f"Dry run: would re-publish {target.colour} (deploy {target.deploy_id}) in {env_name}",
            started,
        )
    before = history.live(rt.journal.history())
    try:
        result = job.execute(force_unlock=force_unlock)
    except PipelineOpsError as exc:
        exc.production = production_unchanged(rt, before, env_name)
        raise
    report = _report(rt, result, reason, time.monotonic() - started)
    return alerts.on_report(rt.ctx, report, event="rollback-done", when="success")


def _already_live(env_name: str, colour: str, deploy_id: str) -> StageReport:
    return StageReport(
        stage="rollback",
        conclusion="neutral",
        title=f"{colour} (deploy {deploy_id}) is already live in {env_name}: nothing to do",
        facts=(("environment", env_name), ("live", f"{colour} ({deploy_id})")),
    )


def _report(rt: Runtime, r: RollbackResult, reason: str, duration: float) -> StageReport:
    return rollback_report(
        r,
        reason,
        duration,
        rows=rt.journal.history(),
        actor=rt.ctx.actor,
        environ=rt.ctx.environ,
        run_url=rt.ctx.run_url or None,
    )


def rollback_report(
    r: RollbackResult,
    reason: str,
    duration: float,
    *,
    rows: Sequence[Mapping[str, object]],
    actor: str,
    environ: Mapping[str, str],
    run_url: str | None,
) -> StageReport:
    """The report of a re-publish from its result and the journal after it. Pure."""
    where = advice.where_from(environ, r.environment)
    done = r.conclusion == "success" and r.target is not None
    removed = history.lineage(rows).find(r.before.serves) if r.before else None
    if removed is None and r.before is not None:
        removed = next(
            (p for p in history.publications(rows) if p.kind == "deploy" and p.deploy_id == r.before.serves),
            None,
        )
    facts: list[tuple[str, Cell]] = [("environment", r.environment), ("rollback id", r.rollback_id)]
    if r.target is not None:
        facts.append(("now serving", _run_link(rows, r.target, build_name(r.target))))
    if r.before is not None:
        facts.append(("taken off", build_name(r.before)))
    facts += [
        ("actor", actor),
        ("reason", reason or "-"),
        ("cutover", f"{r.cutover_ms} ms" if r.cutover_ms is not None else "-"),
    ]
    own = [row for row in rows if row.get("deploy_id") == r.rollback_id]
    keys = ("step", "status", "colour_from", "colour_to", "elapsed_ms", "detail")
    return StageReport(
        stage="rollback",
        conclusion=r.conclusion,
        title=r.title,
        facts=tuple(facts),
        advice=(advice.undo_rollback_advice(removed=removed, where=where),) if done else (),
        sections=(
            Section(
                f"Journal rows of {r.rollback_id}",
                ("step", "status", "from", "to", "ms", "detail"),
                tuple(tuple(str(row.get(k) or "") for k in keys) for row in own),
                collapsed=True,
            ),
        ),
        outputs=(
            ("colour", r.target.colour if r.target else ""),
            ("rolled-back-to", r.target.deploy_id if r.target else ""),
            ("cutover-ms", str(r.cutover_ms if r.cutover_ms is not None else "")),
            ("rollback-id", r.rollback_id),
        ),
        duration_s=duration,
        run_url=run_url,
        data={
            "before": r.before.__dict__ if r.before else None,
            "after": r.target.__dict__ if r.target else None,
            "cutover_ms": r.cutover_ms,
            "rollback_id": r.rollback_id,
        },
    )


def _run_link(rows: Sequence[Mapping[str, object]], pub: history.Publication, label: str) -> Cell:
    """``label`` linked to the run of the deploy that built ``pub`` (when the journal has its run URL)."""
    url = next(
        (
            row.get("run_url")
            for row in rows
            if row.get("deploy_id") == (pub.serves or pub.deploy_id) and row.get("run_url")
        ),
        None,
    )
    return Link(label, str(url)) if url else label
