"""A deploy as one journalled operation: build the idle colour, gate it, publish it, verify it.

lock → read the journal → (finished: report it | published: resume after the cutover | died between
swaps: complete the cutover | else: plan from the live colour read under the lock) → prepare → build →
checks → cutover → verify-grants → smoke → publish-manifest → finish → release. A failed gate publishes
nothing; a failed grant check or smoke check re-publishes the previous good build. ``backfill`` subclasses
this with more dbt steps in the build phase.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pipelineops.dbt.artifacts import manifest_digest, relation_nodes
from pipelineops.dbt.runner import DbtInvocation
from pipelineops.engines.base import Row, run_statements
from pipelineops.errors import UserError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute import deploy_gates
from pipelineops.execute.cutover import CUTOVER_STEPS, Publisher
from pipelineops.execute.deploy_stats import record_published  # row counts, commit time
from pipelineops.execute.operation import Operation, locked
from pipelineops.execute.republish import relations_of, steps_to
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import gates, history, publication
from pipelineops.plan import slim_deploy as slim
from pipelineops.plan.bluegreen_swap import (
    VERIFY_GRANTS,
    DeployInputs,
    Published,
    build_plan,
    colour_schema,
    dbt_vars,
)
from pipelineops.plan.published_sql import published_sql
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

Conclusion = Literal["success", "failure", "neutral"]


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did, for its report."""

    stage: str
    environment: str
    deploy_id: str
    git_sha: str
    live: history.Colour | None  # live before the deploy
    idle: history.Colour  # the colour built (and published on success)
    conclusion: Conclusion
    title: str
    steps: tuple[tuple[str, str, float], ...] = ()
    gate_results: tuple[gates.GateResult, ...] = ()
    cutover_ms: int | None = None
    mode: tuple[tuple[str, str], ...] = ()  # report lines of the mode (slim, or full and why)


class Deployer:
    """Carries out one deploy. Subclasses (``backfill``) add dbt steps to the build phase and may skip steps
    a killed run of the same deploy id already finished (``_resume``/``_skip``)."""

    stage = "bluegreen-swap"

    def __init__(
        self,
        rt: Runtime,
        *,
        deploy_id: str,
        git_sha: str,
        extra_vars: Mapping[str, object],
        allow_rolled_back: bool = False,
        mode: slim.Mode = "full",
        impact: str = "nodes",
    ) -> None:
        self.rt = rt
        self.mode = mode  # asked for: slim builds only state:modified+ when that is safe
        self.impact = impact  # columns: a slim deploy builds only what the change can affect
        self.mode_record: slim.ModeRecord | None = None
        self.live_manifest: Mapping[str, Any] | None = None  # what a slim deploy compared with
        self.rows: Sequence[Row] = ()
        self._manifests: dict[str, dict[str, Any]] = {}
        self.cfg = rt.ctx.config
        self.op = Operation(rt, op_id=deploy_id, kind="deploy", git_sha=git_sha)
        self.extra_vars = dict(extra_vars)
        self.allow_rolled_back = allow_rolled_back
        self.previous: history.Publication | None = None  # what readers saw before this deploy
        self.idle: history.Colour = "BLUE"
        self.manifest: dict[str, Any] = {}
        self.published: tuple[Published, ...] = ()
        self.dbt_results: list[DbtInvocation] = []
        self.gate_results: list[gates.GateResult] = []
        self.cutover_ms: int | None = None
        self.conclusion: Conclusion = "success"
        self.title = ""

    @property
    def deploy_id(self) -> str:
        return self.op.op_id

    @property
    def live(self) -> history.Colour | None:
        return self.previous.colour if self.previous else None

    def _set_colours(self, previous: history.Publication | None, idle: history.Colour) -> None:
        self.previous, self.idle = previous, idle
        self.op.colour_from, self.op.colour_to = self.live, idle

    # -- planning ----------------------------------------------------------------------------------
    def preflight(self, rows: Sequence[Row]) -> dict[str, Any]:
        """Before the lock and before anything is written: the project must build blue/green into the
        consumer schemas (``plan.publication``). Parsed with the colour the journal ``rows`` (read without
        the lock) say is idle, so the parse under the lock is usually a cache hit."""
        current = history.live(rows)
        colour: history.Colour = history.other(current.colour) if current else "BLUE"
        manifest = self._parse(colour)
        publication.deploy_relations(
            ((n.schema, n.alias) for n in relation_nodes(manifest)), self.cfg.consumer_schemas, colour
        )
        return manifest

    def _parse(self, colour: history.Colour) -> dict[str, Any]:
        """The manifest parsed for ``colour``, loaded once per run (the preflight's parse is reused when the
        colour under the lock is the one it guessed)."""
        vars_json = dbt_vars({**self.extra_vars, "pipelineops_colour": colour})
        if vars_json not in self._manifests:
            self._manifests[vars_json] = self.rt.parse("deploy-parse", vars_json)
        return self._manifests[vars_json]

    def plan(self, rows: Sequence[Row]) -> Plan:
        """The plan from the journal ``rows``: build the colour readers do not use now."""
        current = history.live(rows)
        self._set_colours(current, history.other(current.colour) if current else "BLUE")
        self.rows = rows
        return self._with_mode(self._plan())

    def _with_mode(self, plan: Plan) -> Plan:
        """``plan`` made slim when that is asked for and safe; else full, with the reason journalled."""
        from pipelineops.execute.slim import decide

        decision = decide(
            self.rt,
            plan=plan,
            manifest=self.manifest,
            rows=self.rows,
            previous=self.previous,
            idle=self.idle,
            requested=self.mode,
            vars_json=dbt_vars({**self.extra_vars, "pipelineops_colour": self.idle}),
            extra_vars=self.extra_vars,
            impact=self.impact,
        )
        self.mode_record = decision.record
        self.live_manifest = decision.live_manifest
        return decision.plan

    def _plan(self) -> Plan:
        engine = self.rt.engine
        self.manifest = self._parse(self.idle)
        self.published = publication.deploy_relations(
            ((n.schema, n.alias) for n in relation_nodes(self.manifest)), self.cfg.consumer_schemas, self.idle
        )
        present = facts.schemas(engine)
        existing = {
            s: facts.existing_relations(engine, s, "VIEW") if s in present else ()
            for s in self.cfg.consumer_schemas
        }
        incremental: tuple[Published, ...] = ()
        if self.live:
            live_tables: set[tuple[str, str]] = set()
            for p in facts.incremental_relations(self.manifest):
                schema = colour_schema(p.schema, self.live)
                if schema in present and p.name.upper() in {
                    n.upper() for n in facts.existing_relations(engine, schema)
                }:
                    live_tables.add((p.schema, p.name.upper()))
            incremental = tuple(
                p
                for p in facts.incremental_relations(self.manifest)
                if (p.schema, p.name.upper()) in live_tables
            )
        inputs = DeployInputs(
            environment=self.rt.ctx.env_name,
            dialect=engine.dialect,
            database=engine.database,
            live=self.live,
            consumer_schemas=self.cfg.consumer_schemas,
            dbt_target=self.rt.ctx.environment.dbt_target,
            published=self.published,
            existing_views=existing,
            incremental_in_live=incremental,
            reader_roles=self.rt.ctx.environment.reader_roles,
        )
        plan = build_plan(inputs)
        if self.extra_vars:  # the build step carries the same vars the parse used
            extra = ("--vars", dbt_vars({**self.extra_vars, "pipelineops_colour": self.idle}))
            steps = tuple(
                Step(s.name, s.why, s.action, s.sql, ("build", *extra), s.transactional)
                if s.name == history.BUILD
                else s
                for s in plan.steps
            )
            plan = Plan(plan.stage, plan.dialect, steps, plan.facts)
        return plan

    # -- execution ---------------------------------------------------------------------------------
    def execute(self, *, force_unlock: bool) -> DeployResult:
        op = self.op
        with locked(op, force_unlock=force_unlock, option="--deploy-id") as rows:
            done = history.progress(rows, op.op_id)
            if done.finished == "succeeded":
                pub = done.published
                self._set_colours(None, pub.colour if pub else "BLUE")
                return self._result(
                    "neutral",
                    f"deploy {op.op_id} already finished: nothing to do (re-run of a finished deploy)",
                )
            if done.published is not None:
                self._resume_after_cutover(rows, done)
            elif done.cutover_open is not None:
                self._complete_cutover(rows, done.cutover_open)
            else:
                self._run_from_start(rows, self.plan(rows))
        return self._result(self.conclusion, self.title)

    def _refuse_rolled_back(self, rows: Sequence[Row]) -> None:
        gone = history.rolled_back_sha(rows, self.op.git_sha)
        if gone is None or self.allow_rolled_back:
            return
        deploy_id, rollback_id = gone
        raise UserError(
            f"git sha {self.op.git_sha[:12]} was rolled back: deploy {deploy_id} of it was taken off "
            f"{self.rt.ctx.env_name} by {rollback_id}",
            why="deploying the same commit again would bring back what the rollback removed",
            fix="ship a fix as a new commit (revert or repair on main, then deploy that); to deploy this "
            "commit anyway, pass --allow-rolled-back",
            runbook="rollback.md",
        )

    def _run_from_start(self, rows: Sequence[Row], plan: Plan) -> None:
        """Every pre-cutover step (a subclass may skip those a dead run finished), then the cutover."""
        self._refuse_rolled_back(rows)
        self._resume(rows)
        self._run(plan)

    def _resume_after_cutover(self, rows: Sequence[Row], done: history.Progress) -> None:
        op, pub = self.op, done.published
        assert pub is not None
        now = history.live(rows)
        if now is None or now.deploy_id != op.op_id or now.kind != "deploy":
            removed = history.lineage(rows).removed.get(op.op_id)
            self._set_colours(None, pub.colour)
            if removed is not None:
                why = (
                    "its smoke or grant check failed and the previous build was re-published"
                    if removed == op.op_id
                    else f"rollback {removed} took it off production"
                )
                self.conclusion, self.title = "failure", f"deploy {op.op_id} is not resumed: {why}"
            else:
                self.conclusion = "neutral"
                self.title = (
                    f"deploy {op.op_id} is not resumed: {now.deploy_id if now else 'another operation'} "
                    "was published after it; nothing changed"
                )
            if not op.finished and done.finished is None:
                op.finish("failed", error=self.title[:2000])
            return
        before = [p for p in history.publications(rows) if p.index < pub.index]
        self._set_colours(before[-1] if before else None, pub.colour)
        self.rt.ctx.reporter.info(
            f"deploy {op.op_id} already published {pub.colour}: resuming after the cutover"
        )
        self._after_cutover(self._plan())

    def _complete_cutover(self, rows: Sequence[Row], colour: history.Colour) -> None:
        """A run of this deploy died in its cutover. One transaction (local engine): it rolled back and
        nothing was published, so the deploy runs again. Several swaps (Snowflake): production may be
        mixed, so the remaining swaps run first."""
        self._set_colours(history.live(rows), colour)
        plan = self._plan()
        if plan.step(history.CUTOVER).transactional:
            self.rows = rows
            self._run_from_start(rows, self._with_mode(plan))
            return
        self.cutover_ms = self._publisher().complete(plan.step(history.CUTOVER), colour)
        self._after_cutover(plan)

    # -- hooks for stages built on the deploy ---------------------------------------------------------
    def _resume(self, rows: Sequence[Row]) -> None:
        """Called with the journal before the steps run; a deploy re-runs every pre-cutover step."""

    def _skip(self, step: Step) -> bool:
        """Whether a re-run skips ``step`` (finished by an earlier run of this deploy id)."""
        return False

    def _detail(self, step: Step) -> str:
        """The journal ``detail`` of a dbt step's rows."""
        return ""

    def dry_run_title(self) -> str:
        return f"Dry run: would deploy {self.idle} to {self.rt.ctx.env_name} (nothing changed)"

    # -- the steps -----------------------------------------------------------------------------------
    def _publisher(self) -> Publisher:
        return Publisher(self.op, self.cfg.consumer_schemas, self.rt.ctx.environment.reader_roles)

    def _dbt_step(self, step: Step, start: float) -> bool:
        """Run one dbt invocation of the build phase and journal it. False stops the deploy.

        A failed ``build`` does not stop it here: the checks turn its failing tests into gate results.
        """
        detail = self._detail(step)
        result = self.rt.run_dbt(f"deploy-{step.name}", step.dbt_args)
        self.dbt_results.append(result)
        status = "succeeded" if result.ok else "failed"
        text = f"{detail}: dbt exit {result.returncode}" if detail else f"dbt exit {result.returncode}"
        self.op.step(
            step.name, status, time.monotonic() - start, detail=detail if detail and result.ok else text
        )
        if result.ok or step.name == history.BUILD:
            return True
        self.conclusion = "failure"
        self.title = (
            f"Deploy stopped: dbt {step.dbt_args[0]} failed in step {step.name}"
            + (f" ({detail})" if detail else "")
            + f"; nothing published, {self.live or 'nothing'} stays live"
        )
        self.op.finish("failed", error=f"{step.name} failed: {text}"[:2000])
        return False

    def _run(self, plan: Plan) -> None:
        op = self.op
        for step in plan.steps:
            if step.name in ("lock", "finish", VERIFY_GRANTS, "smoke", "publish-manifest", *CUTOVER_STEPS):
                if step.name == history.CUTOVER:
                    self.cutover_ms = self._publisher().publish(plan.steps)
                continue
            if self._skip(step):
                op.steps.append((step.name, "skipped", 0.0))
                continue
            start = time.monotonic()
            detail = self._detail(step) if step.action == "dbt" else ""
            op.record(op.row(step.name, "started", **({"detail": detail} if detail else {})))
            if step.action == "dbt":
                if not self._dbt_step(step, start):
                    return
            elif step.name == "checks":
                ok = self._checks()
                failed = gates.failed(self.gate_results)
                op.step(
                    "checks",
                    "succeeded" if ok else "failed",
                    time.monotonic() - start,
                    detail=json.dumps([r.__dict__ for r in failed])[:4000],
                )
                if not ok:
                    self.conclusion = "failure"
                    self.title = f"Deploy stopped by a failing gate: nothing published, {self.live or 'nothing'} stays live"
                    op.finish("failed", error="pre-cutover gate failed")
                    return
            else:
                run_statements(self.rt.engine, step.sql, transactional=step.transactional)
                record = self.mode_record if step.name == "prepare" else None
                op.step(
                    step.name,
                    "succeeded",
                    time.monotonic() - start,
                    **({"detail": record.detail()} if record else {}),
                )
        self._after_cutover(plan)

    def _after_cutover(self, plan: Plan) -> None:
        grants = next((s for s in plan.steps if s.name == VERIFY_GRANTS), None)
        failed = self._publisher().verify(grants, self.published)
        if failed is not None:
            self._republish_previous(*failed)
            return
        op = self.op
        start = time.monotonic()
        text = facts.deferral_manifest(self.manifest, self.cfg.consumer_schemas, self._production_sql())
        digest = manifest_digest(text)
        statements = self.rt.journal.publish_manifest_sql(
            deploy_id=op.op_id, colour=self.idle, digest=digest, manifest=text
        )
        run_statements(self.rt.engine, statements, transactional=True)  # DML only: atomic on Snowflake too
        op.step("publish-manifest", "succeeded", time.monotonic() - start, manifest_digest=digest)
        op.finish("succeeded", manifest_digest=digest)
        record_published(self.rt, self.manifest, self.idle, op.op_id, op.git_sha)
        self.title = f"Deployed {self.idle} to {self.rt.ctx.env_name}" + (
            f" (was {self.live})" if self.live else " (first deploy)"
        )

    def _production_sql(self) -> dict[str, str]:
        """The compiled SQL the published manifest carries: of what this deploy built, and of what a slim
        deploy carried over unchanged from the live build (``plan/published_sql.py``)."""
        compiled, ran = facts.compiled_of(self.dbt_results)
        slim_live = self.live_manifest if self.mode_record and self.mode_record.mode == "slim" else None
        return published_sql(
            self.manifest,
            compiled,
            consumer_schemas=self.cfg.consumer_schemas,
            built=ran,
            previous=slim_live,
        )

    def _republish_previous(self, failed: str, why: str) -> None:
        """After a failed post-cutover check: put the previous good build back (or say there is none)."""
        op, previous = self.op, self.previous
        self.conclusion = "failure"
        if previous is None or not previous.serves:
            self.title = (
                f"{failed} failed after publishing {self.idle} (first deploy: no previous build to "
                f"re-publish): {why}"
            )[:500]
            op.finish("failed", error=f"{failed} failed: {why}"[:2000])
            return
        relations = relations_of(self.rt, previous.serves, previous.colour)
        steps = steps_to(
            self.rt, previous.colour, relations, why=f"{failed} failed: re-publish {previous.colour}"
        )
        self._publisher().publish(
            steps,
            kind="rollback",
            colour_from=self.idle,
            colour_to=previous.colour,
            detail=f"{history.back_to(previous.serves)}: automatic re-publish after failed {failed}: {why}"[
                :500
            ],
        )
        self.title = (
            f"{failed} failed after publishing {self.idle}; {previous.colour} (deploy {previous.serves}) "
            f"re-published: {why}"
        )[:500]
        op.finish("failed", error=f"{failed} failed: {why}"[:2000])

    def _checks(self) -> bool:
        self.gate_results = deploy_gates.evaluate(
            self.rt,
            manifest=self.manifest,
            idle=self.idle,
            live=self.live,
            outcomes=self._test_outcomes(),
            extra_vars=self.extra_vars,
        )
        return not gates.failed(self.gate_results)

    def _test_outcomes(self) -> list[gates.TestOutcome]:
        """Node results of every dbt invocation of this run; a later run of the same node wins."""
        latest: dict[str, gates.TestOutcome] = {}
        for result in self.dbt_results:
            for outcome in facts.test_outcomes(result.run_results()):
                latest[outcome.unique_id] = outcome
        return list(latest.values())

    def _result(self, conclusion: Conclusion, title: str) -> DeployResult:
        return DeployResult(
            stage=self.stage,
            environment=self.rt.ctx.env_name,
            deploy_id=self.op.op_id,
            git_sha=self.op.git_sha,
            live=self.live,
            idle=self.idle,
            conclusion=conclusion,
            title=title or "Deploy finished",
            steps=tuple(self.op.steps),
            gate_results=tuple(self.gate_results),
            cutover_ms=self.cutover_ms,
            mode=slim.summary(self.mode_record),
        )
