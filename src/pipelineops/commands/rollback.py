"""``pipelineops rollback``: re-publish an earlier colour, or restore one table with time travel.

Both take the deploy lock, are journalled in DEPLOY_STATE with actor and reason, and print the exact
statements with ``--dry-run``. Neither destroys data: a re-publish only re-points views; a restore keeps
the replaced rows aside.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from pipelineops.commands import deploy_facts as facts
from pipelineops.commands import time_travel
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.engines.base import run_statements
from pipelineops.errors import CheckFailed, UserError
from pipelineops.plan import history, sql
from pipelineops.plan.bluegreen_swap import VERIFY_GRANTS, Published, colour_schema, missing_usage
from pipelineops.plan.rollback import RepublishInputs, republish_plan
from pipelineops.plan.sql import Relation
from pipelineops.plan.steps import Plan, Step
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

RUNBOOK = "rollback.md"


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
) -> StageReport:
    if env_name in config.require_reason_in and not reason.strip() and not dry_run:
        raise UserError(
            f"a rollback in {env_name} needs --reason",
            fix='say why, e.g. --reason "orders mart double-counts refunds since deploy gh-123-1"',
            runbook=RUNBOOK,
        )
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
        if force_unlock and not dry_run:
            released = rt.journal.force_unlock(
                by=f"rollback-{rt.ctx.clock().strftime('%Y%m%dT%H%M%S')}",
                actor=rt.ctx.actor,
                run_url=rt.ctx.run_url,
                kind="rollback",
            )
            if released is not None:
                reporter.warning(f"released the deploy lock held by {released.deploy_id} ({released.holder})")
        if mode == "purge-aside":
            return time_travel.purge_aside(rt, confirm=to_deploy, reason=reason, started=started)
        rows = rt.journal.history()
        if mode == "time-travel":
            point = time_travel.point_in_time(
                rt,
                rows,
                at=at,
                offset=offset,
                before_statement=before_statement,
                to_version=to_version,
                to_deploy=to_deploy,
            )
            return time_travel.restore(rt, rows, model=model, point=point, reason=reason, started=started)
        return _republish(rt, rows, to_deploy=to_deploy, reason=reason, started=started)
    finally:
        rt.close()


# -- republish ---------------------------------------------------------------------------------------


def _republish(
    rt: Runtime, rows: list[Mapping[str, object]], *, to_deploy: str | None, reason: str, started: float
) -> StageReport:
    cfg, env_name = rt.ctx.config, rt.ctx.env_name
    current = history.live(rows)
    if current is None:
        raise UserError(f"nothing is live in {env_name} yet", fix="deploy first", runbook=RUNBOOK)
    target = history.deploy_publication(rows, to_deploy) if to_deploy else history.previous_deploy(rows)
    if target is None:
        known = ", ".join(p.deploy_id for p in history.publications(rows) if p.kind == "deploy")
        raise UserError(
            f"no deploy {to_deploy!r} to roll back to in {env_name}"
            if to_deploy
            else f"no earlier deploy of the other colour in {env_name}",
            fix=f"pass --to with one of: {known or 'none recorded'}",
            runbook=RUNBOOK,
        )
    rebuilt = history.rebuilt_since(rows, target)
    if rebuilt is not None:
        raise CheckFailed(
            f"cannot re-publish deploy {target.deploy_id}: its colour {target.colour} was rebuilt since by deploy {rebuilt}",
            why="re-publishing would serve that later build, not the data of the deploy you asked for",
            fix="restore the affected tables with time travel instead, e.g.\n"
            f"  pipelineops rollback --env {env_name} --mode time-travel --model <model> --to {target.deploy_id} "
            '--reason "..."',
            runbook=RUNBOOK,
        )
    if target.colour == current.colour:
        return StageReport(
            stage="rollback",
            conclusion="neutral",
            title=f"{target.colour} (deploy {target.deploy_id}) is already live in {env_name}: nothing to do",
            facts=(("environment", env_name), ("live", f"{current.colour} ({current.deploy_id})")),
        )
    present = facts.schemas(rt.engine)
    published: list[Published] = []
    for schema in cfg.consumer_schemas:
        cs = colour_schema(schema, target.colour)
        if cs not in present:
            raise CheckFailed(
                f"cannot re-publish {target.colour}: schema {cs} is gone",
                fix=f"restore with time travel (pipelineops rollback --mode time-travel --model <model> --to {target.deploy_id})",
                runbook=RUNBOOK,
            )
        published += [
            Published(schema, n) for n in facts.existing_relations(rt.engine, cs) if not _kept_aside(n)
        ]
    existing = {
        s: facts.existing_relations(rt.engine, s, "VIEW") if s in present else ()
        for s in cfg.consumer_schemas
    }
    plan = republish_plan(
        RepublishInputs(
            environment=env_name,
            dialect=rt.engine.dialect,
            database=rt.engine.database,
            consumer_schemas=cfg.consumer_schemas,
            current=current.colour,
            target=target.colour,
            target_deploy=target.deploy_id,
            published=tuple(published),
            existing_views=existing,
            reader_roles=cfg.reader_roles,
        )
    )
    if rt.ctx.dry_run:
        return time_travel.dry_run_report(
            plan,
            f"Dry run: would re-publish {target.colour} (deploy {target.deploy_id}) in {env_name}",
            started,
        )
    rollback_id = f"rollback-{rt.ctx.clock().strftime('%Y%m%dT%H%M%S')}"
    base = {
        "deploy_id": rollback_id,
        "kind": "rollback",
        "git_sha": target.git_sha,
        "actor": rt.ctx.actor,
        "run_url": rt.ctx.run_url,
        "colour_from": current.colour,
        "colour_to": target.colour,
        "reason": reason,
        "detail": f"back to deploy {target.deploy_id}",
    }
    journal = rt.journal
    journal.acquire(rollback_id, holder=rt.ctx.actor, run_url=rt.ctx.run_url)
    try:
        cutover_ms = _cutover(rt, plan, base)
        for p in published:
            rt.engine.query(sql.row_count(Relation(rt.engine.database, p.schema, p.name), rt.engine.dialect))
        journal.record(
            {
                **base,
                "step": "finish",
                "status": "succeeded",
                "started_at": rt.ctx.clock(),
                "finished_at": rt.ctx.clock(),
            }
        )
    except BaseException as exc:
        journal.record(
            {
                **base,
                "step": "finish",
                "status": "failed",
                "error": str(exc)[:2000],
                "started_at": rt.ctx.clock(),
            }
        )
        raise
    finally:
        journal.release(rollback_id)
    return StageReport(
        stage="rollback",
        conclusion="success",
        title=f"Rolled back {env_name} to {target.colour} (deploy {target.deploy_id}) in {cutover_ms} ms",
        facts=(
            ("environment", env_name),
            ("before", f"{current.colour} (deploy {current.deploy_id})"),
            ("after", f"{target.colour} (deploy {target.deploy_id})"),
            ("actor", rt.ctx.actor),
            ("reason", reason or "-"),
            ("cutover", f"{cutover_ms} ms"),
        ),
        sections=(_journal_section(rt),),
        outputs=(
            ("colour", target.colour),
            ("rolled-back-to", target.deploy_id),
            ("cutover-ms", str(cutover_ms)),
        ),
        duration_s=time.monotonic() - started,
        data={
            "before": current.__dict__,
            "after": target.__dict__,
            "cutover_ms": cutover_ms,
            "rollback_id": rollback_id,
        },
    )


def _cutover(rt: Runtime, plan: Plan, base: Mapping[str, object]) -> int:
    engine = rt.engine
    t0 = time.monotonic()
    for step in plan.steps:
        if step.name == VERIFY_GRANTS:
            if step.sql:
                _verify_grants(rt, step, base)
            else:
                now = rt.ctx.clock()
                rt.journal.record(
                    {
                        **base,
                        "step": VERIFY_GRANTS,
                        "status": "skipped",
                        "detail": step.why,
                        "started_at": now,
                        "finished_at": now,
                    }
                )
            continue
        if step.action != "sql":
            continue
        if step.transactional:
            with engine.transaction():
                for stmt in step.sql:
                    engine.execute(stmt)
                elapsed = int((time.monotonic() - t0) * 1000)
                engine.execute(
                    rt.journal.row_sql(
                        {
                            **base,
                            "step": step.name,
                            "status": "succeeded",
                            "started_at": rt.ctx.clock(),
                            "finished_at": rt.ctx.clock(),
                            "elapsed_ms": elapsed,
                        }
                    )
                )
        else:
            run_statements(engine, step.sql, transactional=False)
            rt.journal.record(
                {
                    **base,
                    "step": step.name,
                    "status": "succeeded",
                    "started_at": rt.ctx.clock(),
                    "finished_at": rt.ctx.clock(),
                }
            )
    return int((time.monotonic() - t0) * 1000)


def _verify_grants(rt: Runtime, step: Step, base: Mapping[str, object]) -> None:
    """After a re-publish on Snowflake, every reader role must hold USAGE on every consumer schema."""
    cfg = rt.ctx.config
    gaps: list[tuple[str, str]] = []
    for stmt, schema in zip(step.sql, cfg.consumer_schemas, strict=True):
        gaps += [(role, schema) for role in missing_usage(rt.engine.query(stmt), cfg.reader_roles)]
    now = rt.ctx.clock()
    row = {**base, "step": VERIFY_GRANTS, "started_at": now, "finished_at": now}
    if not gaps:
        rt.journal.record({**row, "status": "succeeded"})
        return
    why = "; ".join(f"{role} has no USAGE on {schema}" for role, schema in gaps)
    rt.journal.record({**row, "status": "failed", "error": why})
    grants = "\n".join(
        f"  {sql.grant_schema_usage(rt.engine.database, schema, role, rt.engine.dialect)};"
        for role, schema in gaps
    )
    raise CheckFailed(
        "the rollback is published, but reader roles cannot read it",
        why=why,
        fix=f"grant the missing access now (then check with SHOW GRANTS ON SCHEMA):\n{grants}",
        runbook="snowflake-grants.md",
    )


def _kept_aside(name: str) -> bool:
    """Tables a time-travel restore set aside live next to the models; they are never published."""
    upper = name.upper()
    return any(f"__{tag}_" in upper for tag in ("REPLACED", "RESTORED", "CURRENT"))


def _journal_section(rt: Runtime) -> Section:
    rows = rt.journal.history()[-12:]
    return Section(
        "DEPLOY_STATE (latest rows)",
        ("deploy id", "kind", "step", "status", "from", "to", "actor", "reason"),
        tuple(
            tuple(
                str(r.get(k) or "")
                for k in (
                    "deploy_id",
                    "kind",
                    "step",
                    "status",
                    "colour_from",
                    "colour_to",
                    "actor",
                    "reason",
                )
            )
            for r in rows
        ),
    )
