"""A backfill as a deploy with a longer build phase: the full build of the idle colour, one
``dbt run --event-time-start/--event-time-end`` per batch (journalled as ``backfill-batch`` rows whose
``detail`` is the range), the model's tests, then the normal gates, cutover, grant check and smoke check.
A re-run with the same ``--deploy-id`` skips the prepare, the build and every batch it already finished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

from pipelineops.engines.base import Row
from pipelineops.execute.deploy import Deployer
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import backfill
from pipelineops.plan.bluegreen_swap import dbt_vars
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)
STAGE = "backfill"


def model_facts(manifest: Mapping[str, Any]) -> dict[str, backfill.ModelFacts]:
    """The project's models (by name) with what a backfill needs to know about them."""
    nodes = cast(dict[str, dict[str, Any]], manifest.get("nodes", {}))
    children = cast(dict[str, list[str]], manifest.get("child_map", {}))
    out: dict[str, backfill.ModelFacts] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") != "model":
            continue
        config = cast(dict[str, Any], node.get("config", {}))
        out[str(node["name"])] = backfill.ModelFacts(
            name=str(node["name"]),
            materialized=str(config.get("materialized", "view")),
            incremental_strategy=config.get("incremental_strategy"),
            event_time=config.get("event_time"),
            batch_size=config.get("batch_size"),
            has_children=any(
                nodes.get(child, {}).get("resource_type") in ("model", "snapshot")
                for child in children.get(uid, ())
            ),
        )
    return out


class Backfiller(Deployer):
    stage = STAGE

    def __init__(
        self,
        rt: Runtime,
        *,
        deploy_id: str,
        git_sha: str,
        extra_vars: Mapping[str, object],
        model: str,
        start: date,
        end: date,
        size: backfill.BatchSize | None,
        allow_rolled_back: bool = False,
    ) -> None:
        super().__init__(
            rt,
            deploy_id=deploy_id,
            git_sha=git_sha,
            extra_vars=extra_vars,
            allow_rolled_back=allow_rolled_back,
        )
        self.model_name = model
        self.start, self.end = start, end
        self.size: backfill.BatchSize = size or "1d"
        self.size_given = size is not None
        self.batches: tuple[backfill.Batch, ...] = ()
        self.batch_of: dict[Step, backfill.Batch] = {}
        self.done: frozenset[tuple[str, str]] = frozenset()

    def preflight(self, rows: Sequence[Row]) -> dict[str, Any]:
        """The deploy's preflight, then the model and the range, checked before anything is written."""
        manifest = super().preflight(rows)
        self._model(manifest)
        return manifest

    def _model(self, manifest: Mapping[str, Any]) -> backfill.ModelFacts:
        model = backfill.check_model(self.model_name, model_facts(manifest))
        if not self.size_given:
            self.size = backfill.default_batch_size(model)
        backfill.check_alignment(model, self.size, self.start, self.end)
        self.batches = backfill.batches(self.start, self.end, self.size)
        return model

    def _plan(self) -> Plan:
        plan = super()._plan()
        model = self._model(self.manifest)
        vars_json = dbt_vars({**self.extra_vars, "pipelineops_colour": self.idle})
        plan = backfill.with_backfill(plan, model, self.batches, vars_json, self.size)
        self.batch_of = dict(
            zip(
                (s for s in plan.steps if s.name == backfill.BACKFILL_BATCH),
                self.batches,
                strict=True,
            )
        )
        return plan

    def dry_run_title(self) -> str:
        return (
            f"Dry run: would backfill {self.model_name} in {len(self.batches)} batches into {self.idle} "
            f"and publish it to {self.rt.ctx.env_name} (nothing changed)"
        )

    def _resume(self, rows: Sequence[Mapping[str, object]]) -> None:
        self.done = backfill.resume_point(rows, self.deploy_id)
        if self.done:
            batches = sum(1 for step, _ in self.done if step == backfill.BACKFILL_BATCH)
            self.rt.ctx.reporter.info(
                f"resuming backfill {self.deploy_id}: {batches} of {len(self.batches)} batches already done"
            )

    def _key(self, step: Step) -> tuple[str, str]:
        batch = self.batch_of.get(step)
        return (step.name, batch.label if batch else "")

    def _skip(self, step: Step) -> bool:
        if self._key(step) not in self.done:
            return False
        batch = self.batch_of.get(step)
        what = f"batch {batch.index}/{batch.total} {batch.label}" if batch else f"step {step.name}"
        self.rt.ctx.reporter.info(f"{what} … done by an earlier run of {self.deploy_id}: skipped")
        return True

    def _detail(self, step: Step) -> str:
        batch = self.batch_of.get(step)
        return batch.label if batch else ""

    def _dbt_step(self, step: Step, start: float) -> bool:
        batch = self.batch_of.get(step)
        if batch is None:
            return super()._dbt_step(step, start)
        reporter = self.rt.ctx.reporter
        reporter.info(f"batch {batch.index}/{batch.total} {batch.label} …")
        ok = super()._dbt_step(step, start)
        verdict = "ok" if ok else "FAILED"
        reporter.info(
            f"batch {batch.index}/{batch.total} {batch.label} … {verdict} in {time.monotonic() - start:.1f} s"
        )
        if not ok:
            self.title = (
                f"Backfill stopped: batch {batch.index}/{batch.total} ({batch.label}) failed; nothing "
                f"published, {self.live or 'nothing'} stays live. Re-run with --deploy-id {self.deploy_id} "
                "to resume from this batch"
            )
        return ok
