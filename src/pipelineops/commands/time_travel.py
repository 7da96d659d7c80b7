"""Point-in-time recovery of one table, for ``pipelineops rollback --mode time-travel``.

Before acting it says whether recovery is possible: on the local engine by reading the past DuckLake
version; on Snowflake from the table's kind (transient tables keep at most a day), its retention and its
creation time (``CREATE OR REPLACE`` restarts history: the UNDROP route). The current rows are never
destroyed: they are kept aside next to the table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from pipelineops.engines.base import first_value
from pipelineops.errors import UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.operation import Operation, locked
from pipelineops.execute.restore import Restore
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import aside, history, sql
from pipelineops.plan.bluegreen_swap import colour_schema
from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.rollback import (
    QueryFacts,
    Recoverability,
    is_query_id,
    retention_days,
    snowflake_recoverability,
    statement_point_problem,
)
from pipelineops.plan.sql import Relation
from pipelineops.plan.sql.dialect import CloneSwap
from pipelineops.plan.sql.time_travel import PointInTime
from pipelineops.plan.steps import Plan, render_plan
from pipelineops.report.model import Section, StageReport

RUNBOOK = "rollback.md"
#: the option that names each kind of point in time
_POINT_OPTIONS = {
    "version": "--to-version",
    "timestamp": "--at",
    "offset": "--offset",
    "statement": "--before-statement",
}


def _rows(n: int | None) -> str:
    return "?" if n is None else str(n)


def _clones(rt: Runtime) -> CloneSwap:
    """The engine's clone-swap time-travel route (asked for only on an engine that has it)."""
    route = rt.engine.dialect.time_travel
    assert isinstance(route, CloneSwap), f"{rt.engine.dialect.name} has no clone-swap time travel"
    return route


def _snowflake_verdict(rt: Runtime, table: Relation, point: PointInTime) -> Recoverability:
    rows = [
        r
        for r in rt.engine.query(_clones(rt).show_table(table))
        if str(r.get("name", "")).upper() == table.name.upper()
    ]
    if not rows:
        raise UserError(
            f"{table.schema}.{table.name} not found by SHOW TABLES",
            fix="check the role's grants",
            runbook="snowflake-grants.md",
        )
    info = rows[0]
    now = rt.ctx.clock()
    if point.kind == "timestamp" and point.timestamp is not None:
        target = point.timestamp
    elif point.kind == "offset":
        target = now + timedelta(seconds=point.offset_s or 0)
    else:  # a statement: its time is unknown here; the retention window still bounds it
        target = now
    created = info.get("created_on")
    created_on = created if isinstance(created, datetime) else datetime.min.replace(tzinfo=UTC)
    return snowflake_recoverability(
        transient=str(info.get("kind", "")).upper() == "TRANSIENT",
        retention_days=retention_days(info.get("retention_time")),
        created_on=created_on if created_on.tzinfo else created_on.replace(tzinfo=UTC),
        target=target,
        now=now,
    )


def _check_statement(rt: Runtime, query_id: str) -> None:
    """``--before-statement``: refused before the lock unless Snowflake would accept it (finding L1)."""
    found = None
    if is_query_id(query_id):
        for row in rt.engine.query(_clones(rt).query_history(rt.engine.database, query_id)):
            started = row.get("start_time")
            if isinstance(started, datetime):
                found = QueryFacts(query_id, str(row.get("query_type") or ""), started)
    problem = statement_point_problem(query_id, found, rt.ctx.clock())
    if problem:
        raise UserError(
            f"--before-statement {query_id} cannot be used: {problem}",
            why="Snowflake time travel accepts BEFORE (STATEMENT => <id>) only for DML, BEGIN/COMMIT and "
            "SELECT statements younger than 14 days",
            fix="restore to a point in time instead: --at <the statement's start time, ISO 8601> or "
            "--to <deploy id> (the end of that deploy)",
            runbook=RUNBOOK,
        )


def dry_run_report(plan: Plan, title: str, started: float) -> StageReport:
    """The report of a rollback dry run: the plan, exactly as it would run."""
    return StageReport(
        stage="rollback",
        conclusion="skipped",
        title=title + " (nothing changed)",
        facts=plan.facts,
        sections=(Section("Plan", text=render_plan(plan)),),
        duration_s=time.monotonic() - started,
        data={"plan": [s.__dict__ for s in plan.steps]},
    )


def point_in_time(
    rt: Runtime,
    rows: list[Mapping[str, object]],
    *,
    at: str | None,
    offset: int | None,
    before_statement: str | None,
    to_version: int | None,
    to_deploy: str | None,
) -> PointInTime:
    given = [x for x in (at, offset, before_statement, to_version) if x is not None]
    if len(given) + (1 if to_deploy else 0) != 1:
        raise UserError(
            "time travel needs exactly one point in time",
            fix="pass one of --at TIMESTAMP, --offset -SECONDS, --before-statement QUERY_ID, --to-version N or --to DEPLOY_ID",
            runbook=RUNBOOK,
        )
    name, kinds = rt.engine.dialect.name, rt.engine.dialect.point_kinds
    usable = " or ".join(option for kind, option in _POINT_OPTIONS.items() if kind in kinds)
    if to_version is not None:
        if "version" not in kinds:
            raise UserError(
                f"--to-version needs snapshot versions, which the {name} engine does not keep",
                fix=f"on {name} use {usable}",
            )
        return PointInTime("version", version=to_version)
    if at is not None:
        try:
            ts = datetime.fromisoformat(at)
        except ValueError as exc:
            raise UserError(
                f"--at {at!r} is not an ISO 8601 timestamp", fix="e.g. --at 2026-11-25T14:30:00+00:00"
            ) from exc
        return PointInTime("timestamp", timestamp=ts if ts.tzinfo else ts.replace(tzinfo=UTC))
    if offset is not None:
        if offset >= 0:
            raise UserError(
                f"--offset {offset} must be negative (seconds into the past)", fix="e.g. --offset -3600"
            )
        if "offset" not in kinds:
            return PointInTime("timestamp", timestamp=rt.ctx.clock() + timedelta(seconds=offset))
        return PointInTime("offset", offset_s=offset)
    if before_statement is not None:
        if "statement" not in kinds:
            raise UserError(
                f"--before-statement needs query ids, which the {name} engine cannot travel back to",
                fix=f"on {name} use {usable}",
            )
        _check_statement(rt, before_statement)
        return PointInTime("statement", statement=before_statement)
    finish = [
        r
        for r in rows
        if r.get("deploy_id") == to_deploy and r.get("step") == "finish" and r.get("status") == "succeeded"
    ]
    if not finish:
        raise UserError(
            f"deploy {to_deploy!r} never finished in {rt.ctx.env_name}",
            fix="pick a finished deploy (pipelineops status)",
        )
    finished = finish[-1].get("finished_at")
    assert isinstance(finished, datetime)
    return PointInTime("timestamp", timestamp=finished)


def restore(
    rt: Runtime,
    *,
    restore_id: str,
    model: str | None,
    point: PointInTime,
    reason: str,
    force_unlock: bool,
    started: float,
) -> StageReport:
    engine = rt.engine
    if not model:
        raise UserError(
            "time travel needs --model",
            fix="name the table to restore, e.g. --model fct_orders",
            runbook=RUNBOOK,
        )
    check_identifier(model, field="--model")
    job = Restore(
        rt, restore_id=restore_id, model=model, point=point, reason=reason, verdict=_snowflake_verdict
    )
    if rt.ctx.dry_run:
        plan, table, _, past = job.plan(rt.journal.history(), rt.ctx.clock())
        now_rows = int(str(first_value(engine.query(sql.row_count(table, engine.dialect)))))
        return dry_run_report(
            plan,
            f"Dry run: would restore {table.schema}.{table.name} ({now_rows} → {_rows(past)} rows)",
            started,
        )
    r = job.execute(force_unlock=force_unlock)
    if r.table is None or r.plan is None:
        return StageReport(
            stage="rollback",
            conclusion="neutral",
            title=f"restore {r.restore_id} already finished: nothing to do",
            facts=(("environment", rt.ctx.env_name), ("restore id", r.restore_id)),
            duration_s=time.monotonic() - started,
        )
    clause = point.clause(engine.dialect)
    return StageReport(
        stage="rollback",
        conclusion="success",
        title=f"Restored {r.table.schema}.{r.table.name}: {_rows(r.rows_before)} → {_rows(r.rows_after)} rows ({clause})",
        facts=(
            ("environment", rt.ctx.env_name),
            ("restore id", r.restore_id),
            *r.plan.facts,
            ("actor", rt.ctx.actor),
            ("reason", reason or "-"),
            ("elapsed", f"{r.elapsed_ms} ms"),
        ),
        sections=(Section("Statements", text=render_plan(r.plan), collapsed=True),),
        outputs=(
            ("colour", r.colour or ""),
            ("rolled-back-to", clause),
            ("cutover-ms", str(r.elapsed_ms)),
            ("rollback-id", r.restore_id),
        ),
        duration_s=time.monotonic() - started,
        data={
            "table": f"{r.table.schema}.{r.table.name}",
            "rows_before": r.rows_before,
            "rows_after": r.rows_after,
            "restore_id": r.restore_id,
        },
    )


def purge_aside(
    rt: Runtime, *, purge_id: str, confirm: str | None, reason: str, force_unlock: bool, started: float
) -> StageReport:
    """Drop the tables restores set aside: one confirmed restore, or those past ``keep_aside_hours``."""
    cfg, engine = rt.ctx.config, rt.engine
    present = facts.schemas(engine)
    found: list[aside.Aside] = []
    for schema in cfg.consumer_schemas:
        for colour in history.COLOURS:
            cs = colour_schema(schema, colour)
            if cs in present:
                found += [
                    a for n in facts.existing_relations(engine, cs, "TABLE") if (a := aside.parse(cs, n))
                ]
    if confirm is not None and not any(a.restore_id == confirm for a in found):
        known = ", ".join(sorted({a.restore_id for a in found})) or "none"
        raise UserError(
            f"no tables set aside by restore {confirm!r}", fix=f"pass one of: {known}", runbook=RUNBOOK
        )
    drops = aside.to_drop(found, now=rt.ctx.clock(), keep_hours=cfg.keep_aside_hours, confirm=confirm)
    statements = [
        sql.drop_table(Relation(engine.database, a.schema, a.name), engine.dialect) for a, _ in drops
    ]
    rows = tuple((a.schema, a.name, a.restore_id, why) for a, why in drops)
    kept = len(found) - len(drops)
    section = Section("Set-aside tables to drop", ("schema", "table", "restore", "why"), rows)
    if rt.ctx.dry_run or not drops:
        return StageReport(
            stage="rollback",
            conclusion="skipped" if rt.ctx.dry_run else "neutral",
            title=(
                f"Dry run: would drop {len(drops)} set-aside tables"
                if rt.ctx.dry_run
                else "No set-aside table is due"
            )
            + f" ({kept} kept)",
            sections=(section, Section("Statements", text=";\n".join(statements)))
            if statements
            else (section,),
            duration_s=time.monotonic() - started,
        )
    op = Operation(rt, op_id=purge_id, kind="restore", reason=reason)
    with locked(op, force_unlock=force_unlock, option="--rollback-id"):
        for (a, why), stmt in zip(drops, statements, strict=True):
            engine.execute(stmt)
            op.record(op.row("purge-aside", "succeeded", detail=f"{a.schema}.{a.name}: {why}"))
        op.finish("succeeded", detail=f"{len(drops)} set-aside tables dropped")
    return StageReport(
        stage="rollback",
        conclusion="success",
        title=f"Dropped {len(drops)} set-aside tables ({kept} kept)",
        sections=(section,),
        duration_s=time.monotonic() - started,
        data={"dropped": [f"{a.schema}.{a.name}" for a, _ in drops]},
    )
