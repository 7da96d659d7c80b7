"""A pull request's data diff, run: per modified model, on the PR environment's warehouse, the columns of
both sides, row counts, then the key diff (or the profiles) with the SQL of ``plan/sql/data_diff.py``, while
the model's time budget lasts. ``commands/data_diff.py`` (``pipelineops data-diff`` and slim-ci's "Data
changes") chooses the models and renders the results.

Cost: both engines stop a model's remaining statements once its budget is spent; on Snowflake each model's
statements also run under a statement timeout of that budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from pipelineops.config.model import DataDiffConfig
from pipelineops.engines.base import Engine, first_value
from pipelineops.errors import PipelineOpsError
from pipelineops.plan import data_diff as plan
from pipelineops.plan import data_diff_results as results
from pipelineops.plan.data_diff_specs import ModelSpec
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import Relation, columns_of, row_count
from pipelineops.plan.sql import data_diff as sql

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

    def __init__(self, engine: Engine, spec: ModelSpec, cfg: DataDiffConfig, clock: Clock) -> None:
        self.engine, self.spec, self.cfg, self.clock = engine, spec, cfg, clock
        self.started = clock()

    def query(self, statement: str) -> list[Mapping[str, object]]:
        if self.clock() - self.started > self.cfg.budget_seconds:
            raise _OverBudget
        return list(self.engine.query(statement))

    def run(self) -> results.ModelDiff:
        spec, d = self.spec, self.engine.dialect
        base = results.ModelDiff(
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
        pr_rows, prod_rows = results.row_counts(self.query(sql.row_counts(spec.pr, spec.prod, d))[0])
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
        result: results.ModelDiff,
        keys: tuple[sql.DiffColumn, ...],
        schema: plan.SchemaDiff,
        per: int | None,
    ) -> results.ModelDiff:
        spec, d, n = self.spec, self.engine.dialect, self.cfg.examples
        assert spec.prod is not None
        row = self.query(sql.key_diff(spec.pr, spec.prod, keys, schema.compared, d, per_10000=per))[0]
        counts = results.key_counts(row, len(schema.compared))
        result = replace(result, counts=counts)
        show_keys = n > 0 and not any(spec.is_sensitive(k.name) for k in keys)
        changes = [
            results.ColumnChange(c.name, changed, counts.matched, sensitive=spec.is_sensitive(c.name))
            for c, changed in zip(schema.compared, counts.per_column, strict=True)
        ]
        result = replace(result, columns=tuple(changes))
        if not show_keys:
            return replace(result, notes=("a key column is sensitive or examples are off: no example keys",))
        for i, (c, change) in enumerate(zip(schema.compared, changes, strict=True)):
            if change.changed and not change.sensitive:
                rows = self.query(sql.value_examples(spec.pr, spec.prod, keys, c, n, d, per_10000=per))
                examples = tuple(
                    (
                        results.key_text(r, len(keys)),
                        results.text(_get(r, "before")),
                        results.text(_get(r, "after")),
                    )
                    for r in rows
                )
                changes[i] = replace(change, examples=examples)
                result = replace(result, columns=tuple(changes))
        sides: tuple[tuple[sql.Side, int], ...] = (("added", counts.added), ("removed", counts.removed))
        found = {
            side: tuple(
                results.key_text(r, len(keys))
                for r in self.query(sql.key_examples(spec.pr, spec.prod, keys, side, n, d, per_10000=per))
            )
            for side, count in sides
            if count
        }
        return replace(result, added_keys=found.get("added", ()), removed_keys=found.get("removed", ()))

    def _profile(self, result: results.ModelDiff, per: int | None) -> results.ModelDiff:
        spec, d = self.spec, self.engine.dialect
        assert spec.prod is not None and result.schema is not None
        approx = per is not None
        label = "every row; distinct counts approximate" if approx else "every row"
        out = replace(result, sample=label)
        pr_cols = plan.profile_columns(_columns(self.engine, spec.pr), spec)
        prod_cols = plan.profile_columns(_columns(self.engine, spec.prod), spec)
        out = replace(
            out,
            profile_prod=results.profiles(
                self.query(sql.profile(spec.prod, prod_cols, d, approx=approx))[0],
                prod_cols,
                spec.sensitive,
            ),
        )
        return replace(
            out,
            profile_pr=results.profiles(
                self.query(sql.profile(spec.pr, pr_cols, d, approx=approx))[0], pr_cols, spec.sensitive
            ),
        )


def _get(row: Mapping[str, object], name: str) -> object:
    return next((v for k, v in row.items() if k.lower() == name), None)


def diff_models(
    engine: Engine, specs: Sequence[ModelSpec], cfg: DataDiffConfig, *, clock: Clock = time.monotonic
) -> tuple[results.ModelDiff, ...]:
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
                results.ModelDiff(
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
