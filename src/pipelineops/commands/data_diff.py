"""``pipelineops data-diff --pr N``: what a pull request's modified models do to production's data.

production manifest (as slim-ci reads it) → ``dbt ls state:modified+`` → the modified models (plan/slim_ci)
→ one spec per model (plan/data_diff: PR relation, production relation, key, sensitive columns) → per model,
on the PR environment's warehouse: columns of both sides, row counts, then the key diff (or the profiles)
with the SQL of plan/sql/data_diff → report/data_diff. slim-ci runs the same ``diff_models`` after its build
and adds the sections to its PR comment.

Cost: a Snowflake session carries the query tag of stage ``data-diff`` and a statement timeout of the
model's budget; both engines stop a model's remaining statements once its budget is spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipelineops.commands.pr_schema import pr_environment
from pipelineops.commands.runtime import Runtime
from pipelineops.commands.slim_ci import check_same_warehouse, fetch_state, local_state, select
from pipelineops.config import Config
from pipelineops.config.model import DataDiffConfig
from pipelineops.dbt.runner import vars_arg
from pipelineops.engines.base import Engine, first_value
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.plan import data_diff as plan
from pipelineops.plan import slim_ci
from pipelineops.plan.identifiers import check_pr_number
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import Relation, columns_of, row_count
from pipelineops.plan.sql import data_diff as sql
from pipelineops.plan.steps import Plan, Step, render_plan
from pipelineops.report import data_diff as render
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class _OverBudget(Exception):
    pass


def _label(relation: Relation | None) -> str:
    return "" if relation is None else f"{relation.database}.{relation.schema}.{relation.name}"


def _columns(engine: Engine, relation: Relation) -> tuple[Column, ...]:
    rows = engine.query(columns_of(relation, engine.dialect))
    lower = [{k.lower(): v for k, v in r.items()} for r in rows]
    return tuple(Column(str(r["name"]), str(r["type"])) for r in lower)


class _Model:
    """The statements of one model, run in order while its time budget lasts."""

    def __init__(self, engine: Engine, spec: plan.ModelSpec, cfg: DataDiffConfig, clock: Clock) -> None:
        self.engine, self.spec, self.cfg, self.clock = engine, spec, cfg, clock
        self.started = clock()

    def query(self, statement: str) -> list[Mapping[str, object]]:
        if self.clock() - self.started > self.cfg.budget_seconds:
            raise _OverBudget
        return list(self.engine.query(statement))

    def run(self) -> plan.ModelDiff:
        spec, d = self.spec, self.engine.dialect
        base = plan.ModelDiff(
            spec.name,
            spec.unique_id,
            "skipped",
            pr_relation=_label(spec.pr),
            prod_relation=_label(spec.prod),
            key=spec.keys,
            key_source=spec.key_source,
        )
        pr_cols = _columns(self.engine, spec.pr)
        if not pr_cols:
            return replace(base, notes=(f"{_label(spec.pr)} was not built (see the build results)",))
        prod_cols = _columns(self.engine, spec.prod) if spec.prod is not None else ()
        if not prod_cols:
            rows = int(str(first_value(self.query(row_count(spec.pr, d)))))
            return replace(base, status="new-model", pr_rows=rows)
        assert spec.prod is not None
        schema = plan.schema_diff(pr_cols, prod_cols)
        pr_rows, prod_rows = plan.row_counts(self.query(sql.row_counts(spec.pr, spec.prod, d))[0])
        per = plan.sample_per_10000(max(pr_rows, prod_rows), self.cfg.threshold)
        result = replace(
            base, schema=schema, pr_rows=pr_rows, prod_rows=prod_rows, sample=plan.sample_label(per)
        )
        keys = plan.key_columns(spec, schema)
        try:
            if isinstance(keys, str):
                return self._profile(replace(result, status="profile-only", key=(), key_source=keys), per)
            return self._keyed(replace(result, status="compared"), keys, schema, per)
        except _OverBudget:
            return replace(
                result,
                status="skipped" if result.counts is None else result.status,
                notes=(f"time budget of {self.cfg.budget_seconds} s spent: the rest was skipped",),
            )

    def _keyed(
        self,
        result: plan.ModelDiff,
        keys: tuple[sql.DiffColumn, ...],
        schema: plan.SchemaDiff,
        per: int | None,
    ) -> plan.ModelDiff:
        spec, d, n = self.spec, self.engine.dialect, self.cfg.examples
        assert spec.prod is not None
        row = self.query(sql.key_diff(spec.pr, spec.prod, keys, schema.compared, d, per_10000=per))[0]
        counts = plan.key_counts(row, len(schema.compared))
        result = replace(result, counts=counts)
        show_keys = n > 0 and not any(spec.is_sensitive(k.name) for k in keys)
        changes = [
            plan.ColumnChange(c.name, changed, counts.matched, sensitive=spec.is_sensitive(c.name))
            for c, changed in zip(schema.compared, counts.per_column, strict=True)
        ]
        result = replace(result, columns=tuple(changes))
        if not show_keys:
            return replace(result, notes=("a key column is sensitive or examples are off: no example keys",))
        for i, (c, change) in enumerate(zip(schema.compared, changes, strict=True)):
            if change.changed and not change.sensitive:
                rows = self.query(sql.value_examples(spec.pr, spec.prod, keys, c, n, d, per_10000=per))
                examples = tuple(
                    (plan.key_text(r, len(keys)), plan.text(_get(r, "before")), plan.text(_get(r, "after")))
                    for r in rows
                )
                changes[i] = replace(change, examples=examples)
                result = replace(result, columns=tuple(changes))
        sides: tuple[tuple[sql.Side, int], ...] = (("added", counts.added), ("removed", counts.removed))
        found = {
            side: tuple(
                plan.key_text(r, len(keys))
                for r in self.query(sql.key_examples(spec.pr, spec.prod, keys, side, n, d, per_10000=per))
            )
            for side, count in sides
            if count
        }
        return replace(result, added_keys=found.get("added", ()), removed_keys=found.get("removed", ()))

    def _profile(self, result: plan.ModelDiff, per: int | None) -> plan.ModelDiff:
        spec, d = self.spec, self.engine.dialect
        assert spec.prod is not None and result.schema is not None
        approx = per is not None
        label = "every row; distinct counts approximate" if approx else "every row"
        out = replace(result, sample=label)
        pr_cols = plan.profile_columns(_columns(self.engine, spec.pr), spec)
        prod_cols = plan.profile_columns(_columns(self.engine, spec.prod), spec)
        out = replace(
            out,
            profile_prod=plan.profiles(
                self.query(sql.profile(spec.prod, prod_cols, d, approx=approx))[0],
                prod_cols,
                spec.sensitive,
            ),
        )
        return replace(
            out,
            profile_pr=plan.profiles(
                self.query(sql.profile(spec.pr, pr_cols, d, approx=approx))[0], pr_cols, spec.sensitive
            ),
        )


def _get(row: Mapping[str, object], name: str) -> object:
    return next((v for k, v in row.items() if k.lower() == name), None)


def diff_models(
    engine: Engine, specs: Sequence[plan.ModelSpec], cfg: DataDiffConfig, *, clock: Clock = time.monotonic
) -> tuple[plan.ModelDiff, ...]:
    """Each model in turn; a failing model is reported as skipped (with the error), never raised."""
    out = []
    for spec in specs:
        for stmt in sql.session_timeout(cfg.budget_seconds, engine.dialect):
            engine.execute(stmt)
        try:
            out.append(_Model(engine, spec, cfg, clock).run())
        except PipelineOpsError as exc:
            log.debug("data diff of %s failed", spec.name, exc_info=True)
            out.append(
                plan.ModelDiff(
                    spec.name,
                    spec.unique_id,
                    "skipped",
                    pr_relation=_label(spec.pr),
                    prod_relation=_label(spec.prod),
                    notes=(f"the comparison failed: {exc.what}",),
                )
            )
        finally:
            for stmt in sql.session_timeout_reset(engine.dialect):
                engine.execute(stmt)
    return tuple(out)


def specs_for(
    cfg: DataDiffConfig,
    pr_manifest: Mapping[str, Any],
    prod_manifest: Mapping[str, Any] | None,
    modified: Sequence[str],
) -> tuple[plan.ModelSpec, ...]:
    return plan.model_specs(
        pr_manifest, prod_manifest, modified, keys=cfg.keys_by_model(), sensitive=cfg.sensitive
    )


def attach(report: StageReport, diffs: Sequence[plan.ModelDiff]) -> StageReport:
    """``report`` with the "Data changes" sections before its folded trailing sections (the plan), and the
    numbers under ``data["data_diff"]``."""
    added = render.sections(diffs)
    cut = len(report.sections)
    while cut and report.sections[cut - 1].collapsed:
        cut -= 1
    merged = (*report.sections[:cut], *added, *report.sections[cut:])
    return replace(report, sections=merged, data={**report.data, "data_diff": render.as_json(diffs)})


def read_plan(specs: Sequence[plan.ModelSpec], cfg: DataDiffConfig, dialect: Any) -> Plan:
    """What ``--dry-run`` prints: the first statements of each model; the rest depend on what they return."""
    steps = [
        Step(
            spec.name,
            f"columns of both sides and row counts; then {'the key diff on ' + ', '.join(spec.keys) if spec.keys else 'column profiles (no key)'}"
            f", sampled above {cfg.threshold:,} rows, at most {cfg.budget_seconds} s",
            action="check",
            sql=(
                *sql.session_timeout(cfg.budget_seconds, dialect),
                columns_of(spec.pr, dialect),
                *(
                    (columns_of(spec.prod, dialect), sql.row_counts(spec.pr, spec.prod, dialect))
                    if spec.prod
                    else ()
                ),
            ),
        )
        for spec in specs
    ]
    return Plan(stage=plan.STAGE, dialect=dialect, steps=tuple(steps))


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    pr: str,
    state_dir: str | None = None,
) -> StageReport:
    started = time.monotonic()
    number = check_pr_number(pr)
    env = pr_environment(config, env_name)
    check_same_warehouse(config, env, config.slim_ci_defer_to)
    cfg = config.slim_ci_diff
    rt_args: dict[str, Any] = {"dry_run": dry_run, "reporter": reporter, "environ": environ}
    work = config.root / ".pipelineops" / "runs" / env / f"data-diff-pr-{number}"
    state = (
        local_state(state_dir)
        if state_dir
        else fetch_state(config, rt_args, config.slim_ci_defer_to, work / "state")
    )
    if state is None:
        raise UserError(
            f"{config.slim_ci_defer_to} has no published deploy: there is no production data to compare with",
            fix=f"deploy {config.slim_ci_defer_to} first, or pass --state-dir with its manifest.json",
            runbook=plan.RUNBOOK,
        )
    rt = Runtime.open(config=config, env_name=env, stage=plan.STAGE, create_warehouse=False, **rt_args)
    try:
        rt.engine.release_for_dbt()
        ids, pr_manifest, _ = select(rt.dbt(work.name), reporter, state, vars_arg({"pipelineops_pr": number}))
        explained = slim_ci.explain(
            slim_ci.read_manifest(pr_manifest), slim_ci.read_manifest(state.manifest), ids
        )
        modified = [e.unique_id for e in explained if e.role == "modified"]
        specs = specs_for(cfg, pr_manifest, state.manifest, modified)
        p = read_plan(specs, cfg, rt.engine.dialect)
        diffs = () if dry_run else diff_models(rt.engine, specs, cfg)
    finally:
        rt.close()
    facts = (("environment", env), ("compared with", state.source), ("modified models", str(len(specs))))
    if dry_run:
        return StageReport(
            stage=plan.STAGE,
            conclusion="skipped",
            title=f"Dry run: would compare {len(specs)} modified model(s) with production",
            facts=facts,
            sections=(Section("Plan", text=render_plan(p)),),
            duration_s=time.monotonic() - started,
            data={"pr": number, "plan": [s.__dict__ for s in p.steps]},
        )
    changed = sum(1 for d in diffs if d.counts and (d.counts.added or d.counts.removed or d.counts.changed))
    return StageReport(
        stage=plan.STAGE,
        conclusion="success",
        title=f"{len(diffs)} modified model(s) compared with production; {changed} with changed rows",
        facts=facts,
        sections=render.sections(diffs),
        duration_s=time.monotonic() - started,
        data={"pr": number, "data_diff": render.as_json(diffs)},
    )


def for_slim_ci(
    report: StageReport,
    *,
    config: Config,
    env: str,
    rt_args: dict[str, Any],
    pr_manifest: Mapping[str, Any],
    prod_manifest: Mapping[str, Any] | None,
    modified: Sequence[str],
) -> StageReport:
    """slim-ci's report with the "Data changes" of the modified models it built (``slim_ci.diff.enabled``).

    A failure here never fails the build: the comment says the diff is missing, and why.
    """
    cfg = config.slim_ci_diff
    if not cfg.enabled or prod_manifest is None:
        return report
    specs = specs_for(cfg, pr_manifest, prod_manifest, modified)
    if not specs:
        return report
    try:
        rt = Runtime.open(config=config, env_name=env, stage=plan.STAGE, create_warehouse=False, **rt_args)
        try:
            diffs = diff_models(rt.engine, specs, cfg)
        finally:
            rt.close()
    except PipelineOpsError as exc:
        rt_args["reporter"].warning(f"the data diff was skipped: {exc.what}", title="pipelineops slim-ci")
        return replace(
            report,
            sections=(*report.sections, Section(render.TITLE, text=f"Not compared: {exc.what}")),
        )
    return attach(report, diffs)
