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

from pipelineops.engines.base import Engine, run_statements
from pipelineops.execute.deploy_facts import view_colours
from pipelineops.execute.operation import LockKept, Operation
from pipelineops.plan import grants, history, sql
from pipelineops.plan.bluegreen_swap import NO_READER_ROLES, SHADOW_SUFFIX, VERIFY_GRANTS, Published
from pipelineops.plan.sql import Relation
from pipelineops.plan.sql import grants as gsql
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
                copied = self._prepare_shadow(step)
                op.record({**op.row(step.name, "succeeded", elapsed_ms=_ms(start), **copied), **row})
                continue
            if step.transactional:
                with engine.transaction():
                    for stmt in step.sql:
                        engine.execute(stmt)
                    done = {**op.row(history.CUTOVER, "succeeded", elapsed_ms=_ms(start)), **row}
                    engine.execute(op.rt.journal.row_sql(done))
                op.chaos(history.CUTOVER, "succeeded")
            else:
                colour = history.as_colour(row.get("colour_to", op.colour_to))
                for i, (schema, stmt) in enumerate(zip(self.consumer_schemas, step.sql, strict=True)):
                    confirmed = self._swap(schema, stmt, colour, row, mixed=i > 0)
                    text = stmt[:500] + (f" (confirmed after a lost reply: {confirmed})" if confirmed else "")
                    op.record({**op.row(history.SWAP, "succeeded", detail=_detail(op, text)), **row})
                op.record({**op.row(history.CUTOVER, "succeeded", elapsed_ms=_ms(start)), **row})
            elapsed_ms = _ms(start)
            op.steps.append((history.CUTOVER, "succeeded", elapsed_ms / 1000))
        return elapsed_ms

    def _prepare_shadow(self, step: Step) -> dict[str, object]:
        """Run the shadow schemas' statements; right after each ``CLONE`` of a consumer schema, re-issue on
        the shadow what the consumer schema holds on itself (``plan/grants.py``), before the views are
        created in it. Journal columns for the step's row (what was copied, what could not be)."""
        engine = self.engine
        if not engine.dialect.has_grants or step.transactional:
            run_statements(engine, step.sql, transactional=step.transactional)
            return {}
        db = engine.database
        clones = {
            gsql.clone_schema(db, s + SHADOW_SUFFIX, s, engine.dialect): s for s in self.consumer_schemas
        }
        copied: list[str] = []
        skipped: list[str] = []
        for stmt in step.sql:
            engine.execute(stmt)
            schema = clones.get(stmt)
            if schema is None:
                continue
            twin = grants.copy_statements(
                database=db,
                source=schema,
                shadow=schema + SHADOW_SUFFIX,
                on_schema=engine.query(sql.show_grants_on_schema(db, schema, engine.dialect)),
                future=engine.query(gsql.show_future_grants_in_schema(db, schema, engine.dialect)),
                schema_rows=engine.query(gsql.show_schema(db, schema, engine.dialect)),
                dialect=engine.dialect,
            )
            for grant in twin.statements:
                engine.execute(grant)
            copied += twin.statements
            skipped += twin.skipped
        if skipped:
            self.op.rt.ctx.reporter.warning(
                "grants not copied to the shadow schemas (re-grant them after the swap): "
                + "; ".join(skipped)
            )
        text = f"{len(copied)} grant(s) of the consumer schemas copied to their shadows" + (
            f"; not copied: {'; '.join(skipped)}" if skipped else ""
        )
        return {"detail": _detail(self.op, text[:2000])}

    def _swap(
        self, schema: str, stmt: str, colour: history.Colour | None, row: dict[str, object], *, mixed: bool
    ) -> str:
        """One schema swap. When it raises, its effect is read back from where the schema's views point
        (a lost reply may hide a swap that happened): done → the reply's error (journalled with the swap);
        not done → the error goes on. When production is then ``mixed`` (earlier schemas swapped), or in a
        state nobody could read, the lock is kept (``LockKept``): a re-run with the same id completes the
        cutover (``complete``)."""
        try:
            self.engine.execute(stmt)
            return ""
        except Exception as exc:
            lost = str(exc)[:300] or type(exc).__name__
            try:
                moved = colour is not None and colour in view_colours(self.engine, schema)
            except Exception as again:
                self._journal_failed(schema, f"{lost}; reading it back failed too: {again}"[:2000], row)
                raise LockKept(
                    f"the swap of {schema} failed and its outcome cannot be read: {lost}",
                    why="the swap may have happened with its reply lost; the journal cannot say which colour "
                    "readers see, so the deploy lock stays held",
                    fix=f"re-run with the same id ({self.op.op_id}) once the warehouse answers: it completes "
                    "the cutover from where each schema's views point",
                    runbook="deploy-lock.md",
                ) from exc
            if moved:
                log.warning("the swap of %s happened though its reply was lost: %s", schema, lost)
                return lost
            self._journal_failed(schema, lost, row)
            if mixed:
                raise LockKept(
                    f"the swap of {schema} failed after earlier consumer schemas were swapped: {lost}",
                    why="readers of different schemas now see different colours; the journal's swap rows say "
                    "which schemas moved, and the deploy lock stays held so that nothing starts from "
                    "this state",
                    fix=f"fix the cause, then re-run with the same id ({self.op.op_id}): it swaps the "
                    "remaining schemas",
                    runbook="deploy-lock.md",
                ) from exc
            raise

    def _journal_failed(self, schema: str, error: str, row: dict[str, object]) -> None:
        try:
            self.op.record({**self.op.row(history.SWAP, "failed", detail=schema, error=error), **row})
        except Exception:  # the state is described by the lock kept and the open cutover row
            log.exception("could not journal the failed swap of %s", schema)

    def complete(self, step: Step, colour: history.Colour) -> int:
        """A run of this operation died between Snowflake swaps: production is mixed until the rest are
        done. The shadow schemas were all prepared before the first swap, so every consumer schema whose
        views do not read ``colour`` yet is swapped now, before anything else runs."""
        op = self.op
        start = time.monotonic()
        pending = [
            (schema, stmt)
            for schema, stmt in zip(self.consumer_schemas, step.sql, strict=True)
            if colour not in view_colours(self.engine, schema)
        ]
        op.rt.ctx.reporter.warning(
            f"{op.kind} {op.op_id} died during its cutover: completing it first "
            f"({len(pending)} of {len(step.sql)} consumer schemas still to swap)"
        )
        for i, (schema, stmt) in enumerate(pending):
            confirmed = self._swap(schema, stmt, colour, {}, mixed=i > 0 or len(pending) < len(step.sql))
            text = stmt[:500] + (f" (confirmed after a lost reply: {confirmed})" if confirmed else "")
            op.record(op.row(history.SWAP, "succeeded", detail=_detail(op, text)))
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

    def verify(self, check: Step | None, published: Sequence[Published]) -> tuple[str, str] | None:
        """After a cutover: the reader roles' grants, then a read of every published view.
        ``(failed step, why)``, or None when both pass."""
        gap = self._verify_grants(check, published) if check is not None else None
        if gap is not None:
            return VERIFY_GRANTS, gap
        return self._smoke(published)

    def _verify_grants(self, step: Step, published: Sequence[Published]) -> str | None:
        """USAGE on every consumer schema and SELECT on every published view, per reader role; with no
        reader roles on Snowflake the step is skipped *with a warning* (nobody's access is verified)."""
        op = self.op
        start = time.monotonic()
        if not step.sql:
            if step.why == NO_READER_ROLES:
                op.rt.ctx.reporter.warning(
                    f"verify-grants skipped: {NO_READER_ROLES}; set environments.<env>.reader_roles to the roles that "
                    "read the consumer views"
                )
            op.step(VERIFY_GRANTS, "skipped", time.monotonic() - start, detail=_detail(op, step.why))
            return None
        op.record(op.row(VERIFY_GRANTS, "started"))
        n = len(self.consumer_schemas)
        results = [self.engine.query(stmt) for stmt in step.sql]
        db = self.engine.database
        gaps = grants.grant_gaps(
            schema_grants=dict(zip(self.consumer_schemas, results[:n], strict=True)),
            role_grants=dict(zip(self.reader_roles, results[n:], strict=True)),
            reader_roles=self.reader_roles,
            views=[Relation(db, p.schema, p.name) for p in published],
        )
        if gaps:
            why = "; ".join(gaps)
            op.step(VERIFY_GRANTS, "failed", time.monotonic() - start, error=why[:2000])
            return why
        held = (
            f"{', '.join(self.reader_roles)} hold USAGE on {', '.join(self.consumer_schemas)} and SELECT on "
            f"{len(published)} views"
        )
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
