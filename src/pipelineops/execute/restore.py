"""Point-in-time recovery of one table as one journalled operation, and the purge of set-aside tables.

lock → read the journal → (finished: report it | else: find the table in the colour live now, check the
point is reachable, plan) → restore → release. The current rows are never destroyed: they are kept aside
next to the table, named after the restore's first journal row, so a re-run with the same id plans the same
names. On the local engine the restore and its journal row commit in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pipelineops.engines.base import Row, first_value, run_statements
from pipelineops.errors import CheckFailed, UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.operation import Operation, locked, refuse_ended
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import aside, history, sql
from pipelineops.plan.bluegreen_swap import base_schema, colour_schema
from pipelineops.plan.rollback import (
    Recoverability,
    Route,
    colour_live_at,
    point_time,
    time_travel_plan,
    undo,
)
from pipelineops.plan.sql import Relation
from pipelineops.plan.sql.dialect import CloneSwap
from pipelineops.plan.sql.time_travel import PointInTime
from pipelineops.plan.steps import Plan

log = logging.getLogger(__name__)
RUNBOOK = "rollback.md"

#: How the command learns whether Snowflake time travel reaches the point (SHOW TABLES facts).
Verdict = Callable[[Runtime, Relation, PointInTime], Recoverability]


@dataclass(frozen=True)
class RestoreResult:
    restore_id: str
    table: Relation | None  # None: the restore had finished already (a re-run)
    colour: history.Colour | None
    plan: Plan | None
    rows_before: int | None
    rows_after: int | None
    elapsed_ms: int


class Restore:
    def __init__(
        self,
        rt: Runtime,
        *,
        restore_id: str,
        model: str,
        point: PointInTime,
        reason: str,
        verdict: Verdict,
    ) -> None:
        self.rt = rt
        self.op = Operation(rt, op_id=restore_id, kind="restore", reason=reason)
        self.model = model
        self.point = point
        self.verdict = verdict

    def plan(self, rows: Sequence[Row], stamp: datetime) -> tuple[Plan, Relation, history.Colour, int | None]:
        """The plan, the table (in the colour live per ``rows``), that colour and the past row count
        (local engine: read now; Snowflake: counted from the clone)."""
        rt, cfg, engine = self.rt, self.rt.ctx.config, self.rt.engine
        current = history.live(rows)
        if current is None:
            raise UserError(f"nothing is live in {rt.ctx.env_name} yet", fix="deploy first", runbook=RUNBOOK)
        present = facts.schemas(engine)
        table = None
        for schema in cfg.consumer_schemas:
            cs = colour_schema(schema, current.colour)
            tables = facts.existing_relations(engine, cs, "TABLE") if cs in present else ()
            match = next((t for t in tables if t.upper() == self.model.upper()), None)
            if match is not None:
                table = Relation(engine.database, cs, match)
                break
        if table is None:
            raise UserError(
                f"{self.model} is not a table of the live colour {current.colour} in {rt.ctx.env_name}",
                fix="name a table model published in one of: " + ", ".join(cfg.consumer_schemas),
                runbook=RUNBOOK,
            )
        route: Route = "direct"
        transient, source = False, table
        # a clone-swap engine reads the table of the colour that was live at that time
        if isinstance(engine.dialect.time_travel, CloneSwap):
            then = colour_live_at(rows, point_time(self.point, rt.ctx.clock()), current.colour)
            source = Relation(engine.database, colour_schema(base_schema(table.schema)[0], then), table.name)
            verdict = self.verdict(rt, source, self.point)
            if not verdict.possible:
                raise CheckFailed(
                    f"cannot restore {table.schema}.{table.name} to that point with time travel",
                    why="; ".join(verdict.reasons),
                    fix="choose a later point, or restore from a backup; raise DATA_RETENTION_TIME_IN_DAYS "
                    "(and make the model a permanent table: transient_table=false) to keep more history",
                    runbook=RUNBOOK,
                )
            route, transient = verdict.route, verdict.transient
            if source != table and route == "undrop":
                raise CheckFailed(
                    f"cannot restore {table.schema}.{table.name} from {source.schema}: that table was "
                    "re-created since, and UNDROP would rename tables of the idle colour",
                    why="; ".join(verdict.reasons),
                    fix="re-publish that colour if it is intact (pipelineops rollback --to <deploy>), or choose "
                    "a later point",
                    runbook=RUNBOOK,
                )
        plan = time_travel_plan(
            dialect=engine.dialect,
            table=table,
            point=self.point,
            restore_id=stamp.strftime(aside.STAMP),
            route=route,
            transient=transient,
            source=source,
        )
        past: int | None = None
        if plan.steps[0].name == "verify":  # the past version is readable before anything runs (local)
            try:
                past = int(str(first_value(engine.query(plan.step("verify").sql[0]))))
            except Exception as exc:
                raise CheckFailed(
                    f"cannot restore {table.schema}.{table.name} to that point: its history is not readable",
                    why=str(exc).splitlines()[0],
                    fix="choose a later point (pipelineops status lists deploys; the DuckLake snapshots are in "
                    "ducklake_snapshots('lake'))",
                    runbook=RUNBOOK,
                ) from exc
        return plan, table, current.colour, past

    def execute(self, *, force_unlock: bool) -> RestoreResult:
        op, rt, engine = self.op, self.rt, self.rt.engine
        with locked(op, force_unlock=force_unlock, option="--rollback-id") as rows:
            done = history.progress(rows, op.op_id)
            if done.finished == "succeeded":
                return RestoreResult(op.op_id, None, None, None, None, None, 0)
            refuse_ended(done, op, option="--rollback-id")
            stamp = done.first_at if isinstance(done.first_at, datetime) else rt.ctx.clock()
            plan, table, colour, past = self.plan(rows, stamp)
            now_rows = int(str(first_value(engine.query(sql.row_count(table, engine.dialect)))))
            op.colour_from = op.colour_to = colour
            op.detail = f"{table.schema}.{table.name} {self.point.clause(engine.dialect)}"
            if done.kind is None:
                op.record(op.row("plan", "succeeded"))
            t0 = time.monotonic()
            finished: list[str] = []
            try:
                for step in plan.steps:
                    if step.name == "verify":
                        if past is None:  # Snowflake: count the side table before it is swapped in
                            past = int(str(first_value(engine.query(step.sql[0]))))
                        continue
                    if step.transactional:  # the restore and its journal row commit together
                        with engine.transaction():
                            for stmt in step.sql:
                                engine.execute(stmt)
                            engine.execute(rt.journal.row_sql(op.row(step.name, "succeeded")))
                        op.chaos(step.name, "succeeded")
                    else:
                        run_statements(engine, step.sql, transactional=False)
                        op.record(op.row(step.name, "succeeded"))
                    finished.append(step.name)
            except Exception as exc:
                self._undo(plan, finished, exc)
                raise
            elapsed = int((time.monotonic() - t0) * 1000)
            op.finish("succeeded", elapsed_ms=elapsed)
        return RestoreResult(op.op_id, table, colour, plan, now_rows, past, elapsed)

    def _undo(self, plan: Plan, finished: list[str], exc: Exception) -> None:
        """Take back the steps a failed restore finished, newest first (the UNDROP route renames the live
        table first: it gets its name back), and journal what was undone."""
        statements = undo(plan, tuple(finished))
        if not statements:
            return
        try:
            run_statements(self.rt.engine, statements, transactional=False)
            note = f"undone after {str(exc)[:300]}: {'; '.join(statements)}"
            status = "succeeded"
        except Exception as undo_exc:  # reported with the first error; the runbook names the renames
            note = f"undo failed ({str(undo_exc)[:300]}); statements: {'; '.join(statements)}"
            status = "failed"
        self.op.record(self.op.row("undo", status, detail=note[:2000]))
