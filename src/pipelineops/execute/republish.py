"""Re-publishing an earlier build: the relation set it serves, and the rollback as one journalled operation.

lock → read the journal → (finished: report it | published: verify and finish | died between swaps:
complete the cutover | else: choose the target under the lock) → the one cutover → verify-grants → smoke
→ finish → release. The target is the newest earlier *good* build (``plan.history.lineage``): a build a
rollback removed is never brought back. Every row names the target (``back to deploy <id>``), so a re-run
with the same id goes on with the same target.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.dbt.artifacts import relation_nodes
from pipelineops.engines.base import Row
from pipelineops.errors import CheckFailed, UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.cutover import Publisher
from pipelineops.execute.operation import Operation, locked, refuse_ended
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import history, publication, sql
from pipelineops.plan.bluegreen_swap import VERIFY_GRANTS, Published, colour_schema, cutover_steps
from pipelineops.plan.rollback import RepublishInputs, republish_plan
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)
RUNBOOK = "rollback.md"


def relations_of(rt: Runtime, deploy_id: str, colour: history.Colour) -> tuple[Published, ...]:
    """The relations re-publishing ``deploy_id``'s build in ``colour`` publishes: those its stored manifest
    published (each must still be in the colour), else what the colour holds (refused if that would drop
    a view readers use)."""
    cfg, engine = rt.ctx.config, rt.engine
    present = facts.schemas(engine)
    in_colour = {
        s: facts.existing_relations(engine, colour_schema(s, colour))
        if colour_schema(s, colour) in present
        else ()
        for s in cfg.consumer_schemas
    }
    live_views = {
        s: facts.existing_relations(engine, s, "VIEW") if s in present else () for s in cfg.consumer_schemas
    }
    stored = rt.journal.manifest_of(deploy_id)
    expected = None
    if stored is not None:
        nodes = relation_nodes(json.loads(str(stored["manifest"])))
        expected = publication.stored_relations([(n.schema, n.alias) for n in nodes], cfg.consumer_schemas)
    return publication.rollback_relations(
        target=deploy_id, colour=colour, expected=expected, present=in_colour, live_views=live_views
    )


def current_views(rt: Runtime) -> dict[str, tuple[str, ...]]:
    present = facts.schemas(rt.engine)
    return {
        s: facts.existing_relations(rt.engine, s, "VIEW") if s in present else ()
        for s in rt.ctx.config.consumer_schemas
    }


def steps_to(
    rt: Runtime, colour: history.Colour, relations: tuple[Published, ...], *, why: str
) -> tuple[Step, ...]:
    """The cutover steps that make readers see ``relations`` of ``colour`` (and nothing else)."""
    cfg = rt.ctx.config
    return cutover_steps(
        dialect=rt.engine.dialect,
        database=rt.engine.database,
        colour=colour,
        consumer_schemas=cfg.consumer_schemas,
        published=relations,
        existing_views=current_views(rt),
        why=why,
        reader_roles=rt.ctx.environment.reader_roles,
    )


@dataclass(frozen=True)
class RollbackResult:
    environment: str
    rollback_id: str
    before: history.Publication | None
    target: history.Publication | None
    conclusion: Literal["success", "neutral"]
    title: str
    cutover_ms: int | None = None
    plan: Plan | None = None


class Rollback:
    """One rollback (re-publish) with its id; ``to_deploy`` is ``--to`` (None: the previous good build)."""

    def __init__(self, rt: Runtime, *, rollback_id: str, to_deploy: str | None, reason: str) -> None:
        self.rt = rt
        self.op = Operation(rt, op_id=rollback_id, kind="rollback", reason=reason)
        self.to_deploy = to_deploy
        self.before: history.Publication | None = None
        self.target: history.Publication | None = None
        self.relations: tuple[Published, ...] = ()

    # -- choosing ----------------------------------------------------------------------------------
    def choose(self, rows: Sequence[Row], to_deploy: str | None) -> history.Publication:
        env = self.rt.ctx.env_name
        lin = history.lineage(rows)
        current = history.live(rows)
        if current is None or lin.serving is None:
            raise UserError(f"nothing is live in {env} yet", fix="deploy first", runbook=RUNBOOK)
        self.before = current
        good = ", ".join(p.deploy_id for p in reversed(lin.good[:-1])) or "none"
        if to_deploy:
            if to_deploy in lin.removed:
                raise CheckFailed(
                    f"deploy {to_deploy} was rolled back by {lin.removed[to_deploy]}: it is not re-published",
                    why="re-publishing it would bring back what that rollback removed",
                    fix=f"ship a fix as a new deploy; earlier good builds: {good}",
                    runbook=RUNBOOK,
                )
            target = lin.find(to_deploy)
            if target is None:
                raise UserError(
                    f"no deploy {to_deploy!r} was published in {env}",
                    fix=f"pass --to with one of: {good}",
                    runbook=RUNBOOK,
                )
        elif len(lin.good) < 2:
            gone = ", ".join(f"{d} (by {r})" for d, r in lin.removed.items())
            raise CheckFailed(
                f"nothing earlier that is good to roll back to in {env}: deploy {lin.serving.deploy_id} is "
                "the oldest good build",
                why=f"builds already rolled back are never re-published: {gone}"
                if gone
                else "only one deploy has been published",
                fix="ship a fix as a new deploy, or restore tables with --mode time-travel",
                runbook=RUNBOOK,
            )
        else:
            target = lin.good[-2]
        rebuilt = history.rebuilt_since(rows, target) if target is not lin.serving else None
        if rebuilt is not None:
            raise CheckFailed(
                f"cannot re-publish deploy {target.deploy_id}: its colour {target.colour} was rebuilt since by "
                f"deploy {rebuilt}",
                why="re-publishing would serve that later build, not the data of the deploy you asked for",
                fix="restore the affected tables with time travel instead, e.g.\n"
                f"  pipelineops rollback --env {env} --mode time-travel --model <model> --to {target.deploy_id} "
                '--reason "..."',
                runbook=RUNBOOK,
            )
        return target

    def plan(self, rows: Sequence[Row], to_deploy: str | None = None) -> Plan | None:
        """The plan back to the chosen target; None when it is what readers see already."""
        target = self.target = self.choose(rows, to_deploy if to_deploy is not None else self.to_deploy)
        lin = history.lineage(rows)
        if lin.serving is not None and target.deploy_id == lin.serving.deploy_id:
            return None
        op = self.op
        op.detail = history.back_to(target.deploy_id)
        op.git_sha = target.git_sha
        op.colour_from, op.colour_to = self.before.colour if self.before else None, target.colour
        self.relations = relations_of(self.rt, target.deploy_id, target.colour)
        return self._plan(
            op.colour_from or target.colour, target.colour, target.deploy_id, current_views(self.rt)
        )

    def _plan(
        self,
        current: history.Colour,
        colour: history.Colour,
        deploy_id: str,
        existing_views: Mapping[str, tuple[str, ...]],
    ) -> Plan:
        cfg = self.rt.ctx.config
        return republish_plan(
            RepublishInputs(
                environment=self.rt.ctx.env_name,
                dialect=self.rt.engine.dialect,
                database=self.rt.engine.database,
                consumer_schemas=cfg.consumer_schemas,
                current=current,
                target=colour,
                target_deploy=deploy_id,
                published=self.relations,
                existing_views=existing_views,
                reader_roles=self.rt.ctx.environment.reader_roles,
            )
        )

    # -- execution ---------------------------------------------------------------------------------
    def execute(self, *, force_unlock: bool) -> RollbackResult:
        op, env = self.op, self.rt.ctx.env_name
        with locked(op, force_unlock=force_unlock, option="--rollback-id") as rows:
            done = history.progress(rows, op.op_id)
            if done.target and self.to_deploy and done.target != self.to_deploy:
                raise UserError(
                    f"rollback {op.op_id} goes back to deploy {done.target}, not {self.to_deploy}",
                    why="a re-run with the same id finishes that rollback; it never starts a different one",
                    fix="pass a new --rollback-id for another rollback",
                    runbook=RUNBOOK,
                )
            if done.finished == "succeeded":
                return self._result(
                    "neutral", f"rollback {op.op_id} already finished (back to deploy {done.target})"
                )
            refuse_ended(done, op, option="--rollback-id")
            if done.published is not None:
                return self._resume_after_cutover(rows, done)
            plan = self.plan(rows, done.target)
            if plan is None:
                assert self.target is not None
                op.finish("succeeded", detail=history.back_to(self.target.deploy_id) + ": already live")
                return self._result(
                    "neutral",
                    f"{self.target.colour} (deploy {self.target.deploy_id}) is already live in {env}: nothing to do",
                )
            if done.kind is None:
                op.record(op.row("plan", "succeeded"))
            publisher = Publisher(
                op, self.rt.ctx.config.consumer_schemas, self.rt.ctx.environment.reader_roles
            )
            cutover = plan.step(history.CUTOVER)
            if done.cutover_open is not None and not cutover.transactional:
                ms = publisher.complete(cutover, done.cutover_open)
            else:
                ms = publisher.publish(plan.steps)
            self._verify(publisher, plan)
            op.finish("succeeded")
        assert self.target is not None
        return self._result(
            "success",
            f"Rolled back {env} to {self.target.colour} (deploy {self.target.deploy_id}) in {ms} ms",
            cutover_ms=ms,
            plan=plan,
        )

    def _resume_after_cutover(self, rows: Sequence[Row], done: history.Progress) -> RollbackResult:
        op, pub = self.op, done.published
        assert pub is not None
        now = history.live(rows)
        before = [p for p in history.publications(rows) if p.index < pub.index]
        self.before = before[-1] if before else None
        self.target = history.lineage(rows).find(pub.serves) or pub
        if now is None or now.deploy_id != op.op_id:
            title = f"rollback {op.op_id} is not resumed: {now.deploy_id if now else 'nothing'} was published after it"
            op.finish("failed", error=title)
            return self._result("neutral", title)
        op.detail = history.back_to(pub.serves)
        op.colour_from, op.colour_to = self.before.colour if self.before else None, pub.colour
        self.relations = relations_of(self.rt, pub.serves, pub.colour)
        plan = self._plan(pub.colour, pub.colour, pub.serves, {})
        publisher = Publisher(op, self.rt.ctx.config.consumer_schemas, self.rt.ctx.environment.reader_roles)
        self._verify(publisher, plan)
        op.finish("succeeded")
        return self._result(
            "success", f"Rollback {op.op_id} finished: {pub.colour} (deploy {pub.serves}) is live"
        )

    def _verify(self, publisher: Publisher, plan: Plan) -> None:
        grants = next((s for s in plan.steps if s.name == VERIFY_GRANTS), None)
        failed = publisher.verify(grants, self.relations)
        if failed is None:
            return
        step, why = failed
        if step == VERIFY_GRANTS:
            engine, cfg = self.rt.engine, self.rt.ctx.config
            grants_sql = "\n".join(
                f"  {sql.grant_schema_usage(engine.database, schema, role, engine.dialect)};"
                for schema in cfg.consumer_schemas
                for role in self.rt.ctx.environment.reader_roles
                if f"{role} has no USAGE on {schema}" in why
            )
            raise CheckFailed(
                "the rollback is published, but reader roles cannot read it",
                why=why,
                fix=f"grant the missing access now (then check with SHOW GRANTS ON SCHEMA):\n{grants_sql}",
                runbook="snowflake-grants.md",
            )
        raise CheckFailed(
            "the rollback is published, but a published view cannot be read",
            why=why,
            fix="read the failing views' definitions; restore the tables behind them with --mode time-travel",
            runbook=RUNBOOK,
        )

    def _result(
        self,
        conclusion: Literal["success", "neutral"],
        title: str,
        *,
        cutover_ms: int | None = None,
        plan: Plan | None = None,
    ) -> RollbackResult:
        return RollbackResult(
            environment=self.rt.ctx.env_name,
            rollback_id=self.op.op_id,
            before=self.before,
            target=self.target,
            conclusion=conclusion,
            title=title,
            cutover_ms=cutover_ms,
            plan=plan,
        )
