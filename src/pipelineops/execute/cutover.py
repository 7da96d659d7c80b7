"""The one cutover, shared by deploys, automatic re-publishes and rollbacks.

``publish`` runs the plan's cutover steps, journalled: on the local engine the views and the ``cutover``
row commit in one transaction; on Snowflake (DDL auto-commits) the shadow schemas are prepared, then every
``SWAP`` is followed by its own ``swap`` row, and the ``cutover`` row comes last. A run that died between
swaps is completed by ``complete``, which looks at where each consumer schema's views point (the run may
have died between a swap and its row). ``verify`` then checks the reader roles' grants and reads every
published view.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from pipelineops.commands.deploy_facts import view_colours
from pipelineops.engines.base import Engine, run_statements
from pipelineops.execute.operation import Operation
from pipelineops.plan import history, sql
from pipelineops.plan.bluegreen_swap import VERIFY_GRANTS, Published, missing_usage
from pipelineops.plan.sql import Relation
from pipelineops.plan.steps import Step

log = logging.getLogger(__name__)

#: The plan steps a cutover consists of (the rest of a plan is the caller's).
CUTOVER_STEPS = ("prepare-shadow", history.CUTOVER)


class Publisher:
    def __init__(self, op: Operation, consumer_schemas: tuple[str, ...], reader_roles: tuple[str, ...]):
        self.op = op
        self.engine: Engine = op.rt.engine
        self.consumer_schemas = consumer_schemas
        self.reader_roles = reader_roles

    def publish(self, steps: Sequence[Step], **row: object) -> int:
        """Run the cutover steps among ``steps``; the cutover's milliseconds. ``row`` overrides journal
        columns (an automatic re-publish journals as kind ``rollback``)."""
        op, engine = self.op, self.engine
        elapsed_ms = 0
        for step in steps:
            if step.name not in CUTOVER_STEPS:
                continue
            start = time.monotonic()
            op.record({**op.row(step.name, "started"), **row})
            if step.name != history.CUTOVER:
                run_statements(engine, step.sql, transactional=step.transactional)
                op.record({**op.row(step.name, "succeeded", elapsed_ms=_ms(start)), **row})
                continue
            if step.transactional:
                with engine.transaction():
                    for stmt in step.sql:
                        engine.execute(stmt)
                    done = {**op.row(history.CUTOVER, "succeeded", elapsed_ms=_ms(start)), **row}
                    engine.execute(op.rt.journal.row_sql(done))
                op.chaos(history.CUTOVER, "succeeded")
            else:
                for stmt in step.sql:
                    engine.execute(stmt)
                    op.record({**op.row(history.SWAP, "succeeded", detail=_detail(op, stmt[:500])), **row})
                op.record({**op.row(history.CUTOVER, "succeeded", elapsed_ms=_ms(start)), **row})
            elapsed_ms = _ms(start)
            op.steps.append((history.CUTOVER, "succeeded", elapsed_ms / 1000))
        return elapsed_ms

    def complete(self, step: Step, colour: history.Colour) -> int:
        """A run of this operation died between Snowflake swaps: production is mixed until the rest are
        done. The shadow schemas were all prepared before the first swap, so every consumer schema whose
        views do not read ``colour`` yet is swapped now, before anything else runs."""
        op = self.op
        start = time.monotonic()
        pending = [
            stmt
            for schema, stmt in zip(self.consumer_schemas, step.sql, strict=True)
            if colour not in view_colours(self.engine, schema)
        ]
        op.rt.ctx.reporter.warning(
            f"{op.kind} {op.op_id} died during its cutover: completing it first "
            f"({len(pending)} of {len(step.sql)} consumer schemas still to swap)"
        )
        for stmt in pending:
            self.engine.execute(stmt)
            op.record(op.row(history.SWAP, "succeeded", detail=_detail(op, stmt[:500])))
        elapsed = _ms(start)
        op.record(
            op.row(
                history.CUTOVER,
                "succeeded",
                elapsed_ms=elapsed,
                detail=_detail(op, f"completed after an interrupted cutover: {len(pending)} swap(s) run now"),
            )
        )
        op.steps.append((history.CUTOVER, "succeeded", elapsed / 1000))
        return elapsed

    def verify(self, grants: Step | None, published: Sequence[Published]) -> tuple[str, str] | None:
        """After a cutover: the reader roles' grants, then a read of every published view.
        ``(failed step, why)``, or None when both pass."""
        gap = self._verify_grants(grants) if grants is not None else None
        if gap is not None:
            return VERIFY_GRANTS, gap
        return self._smoke(published)

    def _verify_grants(self, step: Step) -> str | None:
        op = self.op
        start = time.monotonic()
        if not step.sql:
            op.step(VERIFY_GRANTS, "skipped", time.monotonic() - start, detail=_detail(op, step.why))
            return None
        op.record(op.row(VERIFY_GRANTS, "started"))
        gaps = []
        for stmt, schema in zip(step.sql, self.consumer_schemas, strict=True):
            missing = missing_usage(self.engine.query(stmt), self.reader_roles)
            gaps += [f"{role} has no USAGE on {schema}" for role in missing]
        if gaps:
            why = "; ".join(gaps)
            op.step(VERIFY_GRANTS, "failed", time.monotonic() - start, error=why[:2000])
            return why
        held = f"{', '.join(self.reader_roles)} hold USAGE on {', '.join(self.consumer_schemas)}"
        op.step(VERIFY_GRANTS, "succeeded", time.monotonic() - start, detail=_detail(op, held))
        return None

    def _smoke(self, published: Sequence[Published]) -> tuple[str, str] | None:
        op, engine = self.op, self.engine
        start = time.monotonic()
        problems = []
        for p in published:
            try:
                engine.query(sql.row_count(Relation(engine.database, p.schema, p.name), engine.dialect))
            except Exception as exc:  # any failure to read a published view is a smoke failure
                problems.append(f"{p.schema}.{p.name}: {exc}")
        if problems:
            op.step("smoke", "failed", time.monotonic() - start, error="; ".join(problems)[:2000])
            return "smoke", "; ".join(problems)
        op.step(
            "smoke", "succeeded", time.monotonic() - start, detail=_detail(op, f"{len(published)} views read")
        )
        return None


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def _detail(op: Operation, text: str) -> str:
    """Rows of a rollback keep naming their target first (``back to deploy <id>: …``)."""
    return f"{op.detail}: {text}" if op.detail else text
