"""``pipelineops bluegreen-swap``: build the idle colour, gate it, publish it atomically, journal it all.

build → checks → cutover → smoke → manifest → finish, under the environment's deploy lock. A failed gate
publishes nothing; a failed smoke check re-publishes the previous colour. Killed at any point, a re-run
with the same ``--deploy-id`` converges: dangling steps are journalled as abandoned, and a deploy whose
cutover already succeeded resumes after it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipelineops.commands import deploy_facts as facts
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.dbt.artifacts import exposure_columns, manifest_digest
from pipelineops.engines.base import run_statements
from pipelineops.errors import CheckFailed
from pipelineops.plan import gates, history
from pipelineops.plan.bluegreen_swap import (
    DeployInputs,
    Published,
    build_plan,
    colour_schema,
    cutover_steps,
    dbt_vars,
)
from pipelineops.plan.steps import Plan, Step, render_plan
from pipelineops.report.model import Conclusion, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    steps: list[tuple[str, str, float]] = field(default_factory=list)
    gate_results: list[gates.GateResult] = field(default_factory=list)
    cutover_ms: int | None = None
    conclusion: str = "success"
    title: str = ""


def default_deploy_id(environ: Mapping[str, str], now: str, sha: str) -> str:
    run = environ.get("GITHUB_RUN_ID")
    if run:
        return f"gh-{run}-{environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    return f"{now}-{sha[:7]}"


class Deployer:
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
            holder = journal.holder()
            if holder is not None and holder.deploy_id != self.deploy_id:
                journal.release(None)
                journal.record(
                    self._row(
                        "force-unlock",
                        "succeeded",
                        detail=f"released lock of {holder.deploy_id} ({holder.holder})",
                    )
                )
        journal.acquire(self.deploy_id, holder=self.rt.ctx.actor, run_url=self.rt.ctx.run_url)
        rows = journal.history()
        for step in history.unfinished_steps(rows, self.deploy_id):
            journal.record(self._row(step, "abandoned", detail="the process running this step died; resumed"))
        resumed = history.deploy_publication(rows, self.deploy_id)
        try:
            if resumed is not None:
                self.idle = resumed.colour
                self.rt.ctx.reporter.info(
                    f"deploy {self.deploy_id} already published {resumed.colour}: resuming after the cutover"
                )
                self._after_cutover(plan)
            else:
                self._run(plan)
        except BaseException as exc:
            journal.record(self._row("finish", "failed", error=str(exc)[:2000]))
            journal.release(self.deploy_id)
            raise
        journal.release(self.deploy_id)
        return self.outcome

    def _run(self, plan: Plan) -> None:
        reporter = self.rt.ctx.reporter
        for step in plan.steps:
            if step.name in ("lock", "finish", "smoke", "publish-manifest"):
                continue
            start = time.monotonic()
            self._record(self._row(step.name, "started"))
            if step.name == history.BUILD:
                result = self.rt.run_dbt("deploy-build", step.dbt_args)
                self.build_result = result
                self._step(
                    step.name,
                    "succeeded" if result.ok else "failed",
                    time.monotonic() - start,
                    detail=f"dbt exit {result.returncode}",
                )
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

    def _after_cutover(self, plan: Plan) -> None:
        start = time.monotonic()
        published = (
            facts.published_relations(self.manifest, self.cfg.consumer_schemas) if self.manifest else ()
        )
        problems = []
        for p in published:
            try:
                self.rt.engine.query(f"SELECT COUNT(*) AS n FROM {_view(self.rt, p)}")
            except Exception as exc:  # any failure to read a published view is a smoke failure
                problems.append(f"{p.schema}.{p.name}: {exc}")
        if problems and self.live:
            self._step("smoke", "failed", time.monotonic() - start, error="; ".join(problems)[:2000])
            back = cutover_steps(
                dialect=self.rt.engine.dialect,
                database=self.rt.engine.database,
                colour=self.live,
                consumer_schemas=self.cfg.consumer_schemas,
                published=published,
                existing_views={},
                why=f"smoke failed: re-publish {self.live}",
            )
            for s in back:
                run_statements(self.rt.engine, s.sql, transactional=s.transactional)
            self._record(
                {
                    **self._row(
                        history.CUTOVER, "succeeded", detail="automatic re-publish after failed smoke"
                    ),
                    "kind": "rollback",
                    "colour_from": self.idle,
                    "colour_to": self.live,
                }
            )
            self.outcome.conclusion = "failure"
            self.outcome.title = f"Smoke check failed after publishing {self.idle}; {self.live} re-published"
            return
        self._step("smoke", "succeeded", time.monotonic() - start, detail=f"{len(published)} views read")
        start = time.monotonic()
        text = facts.deferral_manifest(self.manifest, self.cfg.consumer_schemas)
        digest = manifest_digest(text)
        self.rt.engine.execute(
            self.rt.journal.publish_manifest_sql(
                deploy_id=self.deploy_id, colour=self.idle, digest=digest, manifest=text
            )
        )
        self._step("publish-manifest", "succeeded", time.monotonic() - start, manifest_digest=digest)
        self._record(self._row("finish", "succeeded", manifest_digest=digest))
        self.outcome.title = f"Deployed {self.idle} to {self.rt.ctx.env_name}" + (
            f" (was {self.live})" if self.live else " (first deploy)"
        )

    def _checks(self) -> bool:
        checks = self.cfg.checks
        engine = self.rt.engine
        results: list[gates.GateResult] = []
        run_results = self.build_result.run_results() if hasattr(self, "build_result") else None
        if checks.dbt_tests:
            results += gates.dbt_tests(facts.test_outcomes(run_results))
        published = facts.published_relations(self.manifest, self.cfg.consumer_schemas)
        idle_counts = facts.row_counts(engine, published, self.idle)
        missing = [
            f"{p.schema}.{p.name}".lower()
            for p in published
            if f"{p.schema}.{p.name}".lower() not in idle_counts
        ]
        results += [gates.GateResult("built", m, "fail", f"not built in {self.idle}") for m in missing]
        if self.live:
            live_counts = facts.row_counts(engine, published, self.live)
            results += gates.row_count_delta(
                live_counts,
                idle_counts,
                warn_pct=checks.row_count_warn_pct,
                fail_pct=checks.row_count_fail_pct,
            )
        if checks.non_empty:
            results += gates.non_empty(idle_counts)
        if checks.contract:
            consumed = exposure_columns(self.manifest)
            by_name = {p.name.lower(): p for p in published}
            idle_cols, live_cols = {}, {}
            for model in consumed:
                p = by_name.get(model.lower())
                if p is None:
                    continue
                idle_cols[model] = facts.columns(engine, colour_schema(p.schema, self.idle), p.name)
                if self.live:
                    live_cols[model] = facts.columns(engine, colour_schema(p.schema, self.live), p.name)
            results += gates.contract(
                {m: c for m, c in consumed.items() if m.lower() in by_name}, live_cols, idle_cols
            )
        self.outcome.gate_results = results
        return not gates.failed(results)


def _view(rt: Runtime, p: Published) -> str:
    from pipelineops.plan.sql import Relation

    return Relation(rt.engine.database, p.schema, p.name).sql(rt.engine.dialect)


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
    started = time.monotonic()
    extra_vars = _parse_vars(vars)
    rt = Runtime.open(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage="bluegreen-swap",
    )
    try:
        sha = git_sha or facts.git_sha(config.root)
        did = deploy_id or default_deploy_id(environ, rt.ctx.clock().strftime("%Y%m%dT%H%M%S"), sha)
        deployer = Deployer(rt, deploy_id=did, git_sha=sha, extra_vars=extra_vars)
        plan = deployer.plan()
        if dry_run:
            return StageReport(
                stage="bluegreen-swap",
                conclusion="skipped",
                title=f"Dry run: would deploy {deployer.idle} to {env_name} (nothing changed)",
                facts=(("deploy id", did), *plan.facts),
                sections=(Section("Plan", text=render_plan(plan)),),
                data={"plan": [s.__dict__ for s in plan.steps]},
                duration_s=time.monotonic() - started,
            )
        outcome = deployer.execute(plan, force_unlock=force_unlock)
    finally:
        rt.close()
    return _report(deployer, outcome, env_name, time.monotonic() - started)


def _parse_vars(text: str) -> dict[str, object]:
    if not text.strip():
        return {}
    import yaml

    from pipelineops.errors import UserError

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(
            f"--vars is not valid YAML: {exc}", fix="pass a mapping, e.g. --vars '{key: value}'"
        ) from exc
    if not isinstance(data, dict):
        raise UserError("--vars must be a mapping", fix="pass a mapping, e.g. --vars '{key: value}'")
    if "pipelineops_colour" in data or "pipelineops_pr" in data:
        raise UserError(
            "--vars may not set pipelineops_colour or pipelineops_pr",
            fix="remove them: the deploy chooses the colour",
        )
    return data


def _report(d: Deployer, o: Outcome, env_name: str, duration: float) -> StageReport:
    gate_rows = tuple(
        (r.gate, r.subject, r.verdict, r.detail)
        for r in o.gate_results
        if r.verdict != "pass" or len(o.gate_results) < 40
    )
    fails = gates.failed(o.gate_results)
    conclusion: Conclusion = "failure" if o.conclusion == "failure" else "success"
    facts_rows = [
        ("environment", env_name),
        ("deploy id", d.deploy_id),
        ("git sha", d.git_sha[:12]),
        ("colour", f"{d.live or '-'} → {d.idle}"),
    ]
    if o.cutover_ms is not None:
        facts_rows.append(("cutover", f"{o.cutover_ms} ms"))
    sections = [
        Section("Steps", ("step", "status", "seconds"), tuple((n, s, f"{e:.2f}") for n, s, e in o.steps))
    ]
    if gate_rows:
        sections.append(Section("Gates", ("gate", "subject", "verdict", "detail"), gate_rows))
    if fails:
        raise_text = "\n".join(f"{r.gate} {r.subject}: {r.detail}" for r in fails[:20])
        sections.append(Section("Why nothing was published", text=raise_text))
    return StageReport(
        stage="bluegreen-swap",
        conclusion=conclusion,
        title=o.title or "Deploy finished",
        facts=tuple(facts_rows),
        sections=tuple(sections),
        outputs=(
            ("deploy-id", d.deploy_id),
            ("colour", d.idle if conclusion == "success" else (d.live or "")),
            ("previous-colour", d.live or ""),
            ("cutover-ms", str(o.cutover_ms or "")),
        ),
        duration_s=duration,
        data={
            "deploy_id": d.deploy_id,
            "live_before": d.live,
            "idle": d.idle,
            "cutover_ms": o.cutover_ms,
            "gates": [r.__dict__ for r in o.gate_results],
            "steps": o.steps,
        },
    )


__all__ = ["CheckFailed", "run"]
