"""``pipelineops bluegreen-swap``: build the idle colour, gate it, publish it atomically, journal it all.

build → checks → cutover → verify-grants → smoke → manifest → finish, under the environment's deploy
lock. The build phase is a list of dbt invocations (one ``dbt build`` for a deploy; ``backfill`` adds one
run per batch). A failed gate publishes nothing; a reader role left without USAGE after the swap, or a
failed smoke check, re-publishes the previous colour. Killed at any point, a re-run with the same
``--deploy-id`` converges: dangling steps are journalled as abandoned, and a deploy whose cutover already
succeeded resumes after it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pipelineops.commands import deploy_facts as facts
from pipelineops.commands import deploy_gates
from pipelineops.commands.deploy_report import Outcome, default_deploy_id, deploy_report, parse_vars
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.dbt.artifacts import manifest_digest
from pipelineops.dbt.runner import DbtInvocation
from pipelineops.engines.base import run_statements
from pipelineops.errors import CheckFailed
from pipelineops.plan import gates, history, sql
from pipelineops.plan.bluegreen_swap import (
    VERIFY_GRANTS,
    DeployInputs,
    Published,
    build_plan,
    colour_schema,
    cutover_steps,
    dbt_vars,
    missing_usage,
)
from pipelineops.plan.sql import Relation
from pipelineops.plan.steps import Plan, Step, render_plan
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)


class Deployer:
    """Carries out a deploy plan. Subclasses (``backfill``) add dbt steps to the build phase and may
    skip steps a killed run of the same deploy id already finished (``_resume``/``_skip``)."""

    stage = "bluegreen-swap"

    def __init__(
        self, rt: Runtime, *, deploy_id: str, git_sha: str, extra_vars: Mapping[str, object]
    ) -> None:
        self.rt = rt
        self.deploy_id = deploy_id
        self.git_sha = git_sha
        self.extra_vars = dict(extra_vars)
        self.cfg = rt.ctx.config
        self.outcome = Outcome()
        self.live: history.Colour | None = None
        self.idle: history.Colour = "BLUE"
        self.manifest: dict[str, Any] = {}
        self.dbt_results: list[DbtInvocation] = []

    # -- journal helpers ---------------------------------------------------------------------------
    def _row(self, step: str, status: str, **extra: object) -> dict[str, object]:
        now = self.rt.ctx.clock()
        row: dict[str, object] = {
            "deploy_id": self.deploy_id,
            "kind": "deploy",
            "step": step,
            "status": status,
            "git_sha": self.git_sha,
            "actor": self.rt.ctx.actor,
            "run_url": self.rt.ctx.run_url,
            "colour_from": self.live,
            "colour_to": self.idle,
            "started_at": now,
        }
        if status != "started":
            row["finished_at"] = now
        row.update(extra)
        return row

    def _record(self, row: Mapping[str, object]) -> None:
        self.rt.journal.record(row)
        self._chaos(str(row.get("step")), str(row.get("status")))

    def _chaos(self, step: str, status: str) -> None:
        """Chaos testing: ``PIPELINEOPS_CHAOS_KILL_AFTER=<step>:<status>`` SIGKILLs this process right after
        that journal row is committed, to prove a re-run converges from every step boundary."""
        if self.rt.ctx.environ.get("PIPELINEOPS_CHAOS_KILL_AFTER") == f"{step}:{status}":
            log.warning("chaos: killing the deploy after %s:%s", step, status)
            os.kill(os.getpid(), signal.SIGKILL)

    def _step(self, name: str, status: str, elapsed: float, **extra: object) -> None:
        self._record(self._row(name, status, elapsed_ms=int(elapsed * 1000), **extra))
        self.outcome.steps.append((name, status, elapsed))

    # -- planning ----------------------------------------------------------------------------------
    def plan(self) -> Plan:
        rows = self.rt.journal.history() if facts.schemas(self.rt.engine) & {self.cfg.journal_schema} else []
        current = history.live(rows)
        self.live = current.colour if current else None
        self.idle = history.other(self.live) if self.live else "BLUE"
        self.manifest = self.rt.parse(
            "deploy-parse", dbt_vars({**self.extra_vars, "pipelineops_colour": self.idle})
        )
        published = facts.published_relations(self.manifest, self.cfg.consumer_schemas)
        present = facts.schemas(self.rt.engine)
        existing = {
            s: facts.existing_relations(self.rt.engine, s, "VIEW") if s in present else ()
            for s in self.cfg.consumer_schemas
        }
        incremental: tuple[Published, ...] = ()
        if self.live:
            live_tables = {
                (p.schema, p.name.upper())
                for p in facts.incremental_relations(self.manifest)
                if colour_schema(p.schema, self.live) in present
                and p.name.upper()
                in {
                    n.upper()
                    for n in facts.existing_relations(self.rt.engine, colour_schema(p.schema, self.live))
                }
            }
            incremental = tuple(
                p
                for p in facts.incremental_relations(self.manifest)
                if (p.schema, p.name.upper()) in live_tables
            )
        extra = ("--vars", dbt_vars({**self.extra_vars, "pipelineops_colour": self.idle}))
        inputs = DeployInputs(
            environment=self.rt.ctx.env_name,
            dialect=self.rt.engine.dialect,
            database=self.rt.engine.database,
            live=self.live,
            consumer_schemas=self.cfg.consumer_schemas,
            dbt_target=self.rt.ctx.environment.dbt_target,
            published=published,
            existing_views=existing,
            incremental_in_live=incremental,
            reader_roles=self.cfg.reader_roles,
        )
        plan = build_plan(inputs)
        if self.extra_vars:  # the build step carries the same vars the parse used
            steps = tuple(
                Step(s.name, s.why, s.action, s.sql, ("build", *extra), s.transactional)
                if s.name == history.BUILD
                else s
                for s in plan.steps
            )
            plan = Plan(plan.stage, plan.dialect, steps, plan.facts)
        return plan

    # -- execution ---------------------------------------------------------------------------------
    def execute(self, plan: Plan, *, force_unlock: bool) -> Outcome:
        journal = self.rt.journal
        journal.migrate()
        if force_unlock:
            journal.force_unlock(
                by=self.deploy_id, actor=self.rt.ctx.actor, run_url=self.rt.ctx.run_url, kind="deploy"
            )
        journal.acquire(self.deploy_id, holder=self.rt.ctx.actor, run_url=self.rt.ctx.run_url)
        rows = journal.history()
        for step in history.unfinished_steps(rows, self.deploy_id):
            journal.record(self._row(step, "abandoned", detail="the process running this step died; resumed"))
        resumed = history.deploy_publication(rows, self.deploy_id)
        self._resume(rows)
        try:
            if resumed is not None:
                self.idle = resumed.colour
                before = [p for p in history.publications(rows) if p.index < resumed.index]
                self.live = before[-1].colour if before else None
                self.rt.ctx.reporter.info(
                    f"deploy {self.deploy_id} already published {resumed.colour}: resuming after the cutover"
                )
                self._after_cutover(plan)
            elif (
                history.cutover_interrupted(rows, self.deploy_id)
                and not plan.step(history.CUTOVER).transactional
            ):
                self._complete_cutover(plan)
                self._after_cutover(plan)
            else:
                self._run(plan)
        except BaseException as exc:
            journal.record(self._row("finish", "failed", error=str(exc)[:2000]))
            journal.release(self.deploy_id)
            raise
        journal.release(self.deploy_id)
        return self.outcome

    # -- hooks for stages built on the deploy ---------------------------------------------------------
    def _resume(self, rows: Sequence[Mapping[str, object]]) -> None:
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
    def _dbt_step(self, step: Step, start: float) -> bool:
        """Run one dbt invocation of the build phase and journal it. False stops the deploy.

        A failed ``build`` does not stop it here: the checks turn its failing tests into gate results.
        """
        detail = self._detail(step)
        result = self.rt.run_dbt(f"deploy-{step.name}", step.dbt_args)
        self.dbt_results.append(result)
        status = "succeeded" if result.ok else "failed"
        text = f"{detail}: dbt exit {result.returncode}" if detail else f"dbt exit {result.returncode}"
        self._step(
            step.name, status, time.monotonic() - start, detail=detail if detail and result.ok else text
        )
        if result.ok or step.name == history.BUILD:
            return True
        self.outcome.conclusion = "failure"
        self.outcome.title = (
            f"Deploy stopped: dbt {step.dbt_args[0]} failed in step {step.name}"
            + (f" ({detail})" if detail else "")
            + f"; nothing published, {self.live or 'nothing'} stays live"
        )
        self._record(self._row("finish", "failed", error=f"{step.name} failed: {text}"[:2000]))
        return False

    def _run(self, plan: Plan) -> None:
        reporter = self.rt.ctx.reporter
        for step in plan.steps:
            if step.name in ("lock", "finish", VERIFY_GRANTS, "smoke", "publish-manifest"):
                continue
            if self._skip(step):
                self.outcome.steps.append((step.name, "skipped", 0.0))
                continue
            start = time.monotonic()
            detail = self._detail(step) if step.action == "dbt" else ""
            self._record(self._row(step.name, "started", **({"detail": detail} if detail else {})))
            if step.action == "dbt":
                if not self._dbt_step(step, start):
                    return
            elif step.name == "checks":
                ok = self._checks()
                self._step(
                    "checks",
                    "succeeded" if ok else "failed",
                    time.monotonic() - start,
                    detail=json.dumps([r.__dict__ for r in gates.failed(self.outcome.gate_results)])[:4000],
                )
                if not ok:
                    self.outcome.conclusion = "failure"
                    self.outcome.title = f"Deploy stopped by a failing gate: nothing published, {self.live or 'nothing'} stays live"
                    self._record(self._row("finish", "failed", error="pre-cutover gate failed"))
                    return
            elif step.name == history.CUTOVER:
                self._cutover(step, start)
            else:
                run_statements(self.rt.engine, step.sql, transactional=step.transactional)
                self._step(step.name, "succeeded", time.monotonic() - start)
            reporter.debug(f"step {step.name} done")
        self._after_cutover(plan)

    def _cutover(self, step: Step, start: float) -> None:
        engine = self.rt.engine
        if step.transactional:
            t0 = time.monotonic()
            with engine.transaction():
                for stmt in step.sql:
                    engine.execute(stmt)
                engine.execute(
                    self.rt.journal.row_sql(
                        self._row(
                            history.CUTOVER, "succeeded", elapsed_ms=int((time.monotonic() - start) * 1000)
                        )
                    )
                )
            elapsed = time.monotonic() - t0
            self._chaos(history.CUTOVER, "succeeded")
        else:
            t0 = time.monotonic()
            for stmt in step.sql:
                engine.execute(stmt)
                self._record(self._row("swap", "succeeded", detail=stmt[:500]))
            elapsed = time.monotonic() - t0
            self._record(self._row(history.CUTOVER, "succeeded", elapsed_ms=int(elapsed * 1000)))
        self.outcome.cutover_ms = int(elapsed * 1000)
        self.outcome.steps.append((history.CUTOVER, "succeeded", elapsed))

    def _complete_cutover(self, plan: Plan) -> None:
        """A run of this deploy died between Snowflake swaps: production is mixed until the rest are done.

        The shadow schemas were all prepared before the first swap, so the schemas whose views do not yet
        read the idle colour are swapped now — by looking at the views, not only at the journal (the run may
        have died between a swap and its journal row) — before anything else runs.
        """
        start = time.monotonic()
        step = plan.step(history.CUTOVER)
        pending = [
            (schema, stmt)
            for schema, stmt in zip(self.cfg.consumer_schemas, step.sql, strict=True)
            if self.idle not in facts.view_colours(self.rt.engine, schema)
        ]
        self.rt.ctx.reporter.warning(
            f"deploy {self.deploy_id} died during its cutover: completing it first "
            f"({len(pending)} of {len(step.sql)} consumer schemas still to swap)"
        )
        for _, stmt in pending:
            self.rt.engine.execute(stmt)
            self._record(self._row("swap", "succeeded", detail=stmt[:500]))
        elapsed = time.monotonic() - start
        self._record(
            self._row(
                history.CUTOVER,
                "succeeded",
                elapsed_ms=int(elapsed * 1000),
                detail=f"completed after an interrupted cutover: {len(pending)} swap(s) run now",
            )
        )
        self.outcome.cutover_ms = int(elapsed * 1000)
        self.outcome.steps.append((history.CUTOVER, "succeeded", elapsed))

    def _verify_grants(self, step: Step) -> str | None:
        """Run the verify-grants step; the problem found, or None. No SQL: journalled as skipped."""
        start = time.monotonic()
        if not step.sql:
            self._step(VERIFY_GRANTS, "skipped", time.monotonic() - start, detail=step.why)
            return None
        self._record(self._row(VERIFY_GRANTS, "started"))
        gaps = []
        for stmt, schema in zip(step.sql, self.cfg.consumer_schemas, strict=True):
            missing = missing_usage(self.rt.engine.query(stmt), self.cfg.reader_roles)
            gaps += [f"{role} has no USAGE on {schema}" for role in missing]
        if gaps:
            why = "; ".join(gaps)
            self._step(VERIFY_GRANTS, "failed", time.monotonic() - start, error=why[:2000])
            return why
        self._step(
            VERIFY_GRANTS,
            "succeeded",
            time.monotonic() - start,
            detail=f"{', '.join(self.cfg.reader_roles)} hold USAGE on {', '.join(self.cfg.consumer_schemas)}",
        )
        return None

    def _republish_previous(self, published: tuple[Published, ...], failed: str, why: str) -> None:
        """After a failed post-cutover check: put the previous colour back (or say there is none)."""
        self.outcome.conclusion = "failure"
        if not self.live:
            self.outcome.title = (
                f"{failed} failed after publishing {self.idle} (first deploy: no previous colour to "
                f"re-publish): {why}"
            )[:500]
            self._record(self._row("finish", "failed", error=f"{failed} failed: {why}"[:2000]))
            return
        back = cutover_steps(
            dialect=self.rt.engine.dialect,
            database=self.rt.engine.database,
            colour=self.live,
            consumer_schemas=self.cfg.consumer_schemas,
            published=published,
            existing_views={},
            why=f"{failed} failed: re-publish {self.live}",
            reader_roles=self.cfg.reader_roles,
        )
        for s in back:
            run_statements(self.rt.engine, s.sql, transactional=s.transactional)
        self._record(
            {
                **self._row(
                    history.CUTOVER,
                    "succeeded",
                    detail=f"automatic re-publish after failed {failed}: {why}"[:500],
                ),
                "kind": "rollback",
                "colour_from": self.idle,
                "colour_to": self.live,
            }
        )
        self.outcome.title = f"{failed} failed after publishing {self.idle}; {self.live} re-published: {why}"[
            :500
        ]
        self._record(self._row("finish", "failed", error=f"{failed} failed: {why}"[:2000]))

    def _after_cutover(self, plan: Plan) -> None:
        published = (
            facts.published_relations(self.manifest, self.cfg.consumer_schemas) if self.manifest else ()
        )
        grants = next((s for s in plan.steps if s.name == VERIFY_GRANTS), None)
        if grants is not None:
            gap = self._verify_grants(grants)
            if gap is not None:
                self._republish_previous(published, VERIFY_GRANTS, gap)
                return
        start = time.monotonic()
        problems = []
        for p in published:
            try:
                self.rt.engine.query(
                    sql.row_count(Relation(self.rt.engine.database, p.schema, p.name), self.rt.engine.dialect)
                )
            except Exception as exc:  # any failure to read a published view is a smoke failure
                problems.append(f"{p.schema}.{p.name}: {exc}")
        if problems:
            self._step("smoke", "failed", time.monotonic() - start, error="; ".join(problems)[:2000])
            self._republish_previous(published, "smoke", "; ".join(problems))
            return
        self._step("smoke", "succeeded", time.monotonic() - start, detail=f"{len(published)} views read")
        start = time.monotonic()
        text = facts.deferral_manifest(self.manifest, self.cfg.consumer_schemas)
        digest = manifest_digest(text)
        statements = self.rt.journal.publish_manifest_sql(
            deploy_id=self.deploy_id, colour=self.idle, digest=digest, manifest=text
        )
        run_statements(self.rt.engine, statements, transactional=True)  # DML only: atomic on Snowflake too
        self._step("publish-manifest", "succeeded", time.monotonic() - start, manifest_digest=digest)
        self._record(self._row("finish", "succeeded", manifest_digest=digest))
        self.outcome.title = f"Deployed {self.idle} to {self.rt.ctx.env_name}" + (
            f" (was {self.live})" if self.live else " (first deploy)"
        )

    def _checks(self) -> bool:
        results = deploy_gates.evaluate(
            self.rt,
            manifest=self.manifest,
            idle=self.idle,
            live=self.live,
            outcomes=self._test_outcomes(),
            extra_vars=self.extra_vars,
        )
        self.outcome.gate_results = results
        return not gates.failed(results)

    def _test_outcomes(self) -> list[gates.TestOutcome]:
        """Node results of every dbt invocation of this run; a later run of the same node wins."""
        latest: dict[str, gates.TestOutcome] = {}
        for result in self.dbt_results:
            for outcome in facts.test_outcomes(result.run_results()):
                latest[outcome.unique_id] = outcome
        return list(latest.values())


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
) -> StageReport:
    return run_deploy(
        Deployer,
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        deploy_id=deploy_id,
        git_sha=git_sha,
        force_unlock=force_unlock,
        vars=vars,
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
) -> StageReport:
    """Plan, then print (--dry-run) or execute, a deploy made by ``make(rt, deploy_id=, git_sha=,
    extra_vars=)`` (``Deployer`` or a subclass); ``stage`` names the session's query tag."""
    started = time.monotonic()
    extra_vars = parse_vars(vars)
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
        did = deploy_id or default_deploy_id(environ, rt.ctx.clock().strftime("%Y%m%dT%H%M%S"), sha)
        deployer = make(rt, deploy_id=did, git_sha=sha, extra_vars=extra_vars)
        plan = deployer.plan()
        if dry_run:
            return StageReport(
                stage=deployer.stage,
                conclusion="skipped",
                title=deployer.dry_run_title(),
                facts=(("deploy id", did), *plan.facts),
                sections=(Section("Plan", text=render_plan(plan)),),
                data={"plan": [s.__dict__ for s in plan.steps]},
                duration_s=time.monotonic() - started,
            )
        outcome = deployer.execute(plan, force_unlock=force_unlock)
    finally:
        rt.close()
    return deploy_report(deployer, outcome, env_name, time.monotonic() - started)


__all__ = ["CheckFailed", "run"]
