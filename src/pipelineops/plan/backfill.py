"""The backfill plan: a date range cut into batches, each one dbt run of a microbatch model. Pure.

A backfill is a blue/green deploy whose build phase is longer: the normal full build of the idle colour
(so every other model is current), then one ``dbt run --select M --event-time-start S --event-time-end E``
per batch, then the model's tests (and a rebuild of the models downstream of it) — then the usual
pre-cutover checks and cutover. Ranges are dates, start inclusive and end exclusive, like dbt's flags.

dbt 1.11 applies ``--event-time-start``/``--event-time-end`` only to models with
``incremental_strategy='microbatch'``; any other model ignores them and runs as usual, so only microbatch
models qualify. dbt widens each range to whole batches of the model's own ``batch_size`` (start
truncated, end rounded up), so a batch here may not be finer than that, and on a ``month`` model the range
must start and end on the first day of a month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pipelineops.errors import UserError
from pipelineops.plan.history import BUILD
from pipelineops.plan.steps import Plan, Step

BatchSize = Literal["1d", "7d", "1mo"]
BATCH_SIZES: tuple[BatchSize, ...] = ("1d", "7d", "1mo")
MAX_BATCHES = 366
BACKFILL_BATCH = "backfill-batch"
BACKFILL_DOWNSTREAM = "backfill-downstream"
BACKFILL_TEST = "backfill-test"
RUNBOOK = "backfill.md"
#: Steps of a backfill that a re-run of the same deploy id skips once they have succeeded.
RESUMABLE = ("prepare", BUILD, BACKFILL_BATCH)
#: dbt ``batch_size`` → the finest ``--batch-size`` that does not rebuild the same dbt batch twice.
_FINEST: dict[str, BatchSize] = {"hour": "1d", "day": "1d", "month": "1mo"}


@dataclass(frozen=True)
class Batch:
    index: int  # 1-based
    total: int
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} → {self.end.isoformat()}"


@dataclass(frozen=True)
class ModelFacts:
    """What the manifest says about a model, as far as a backfill cares."""

    name: str
    materialized: str
    incremental_strategy: str | None = None
    event_time: str | None = None
    batch_size: str | None = None  # dbt: hour | day | month | year
    has_children: bool = False

    @property
    def microbatch(self) -> bool:
        return self.materialized == "incremental" and self.incremental_strategy == "microbatch"


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{option} {text!r} is not a date",
            fix=f"write {option} as YYYY-MM-DD, e.g. {option} 2025-01-01",
            runbook=RUNBOOK,
        ) from None


def parse_batch_size(text: str) -> BatchSize:
    for size in BATCH_SIZES:
        if text.strip() == size:
            return size
    raise UserError(
        f"--batch-size {text!r} is not one of {', '.join(BATCH_SIZES)}",
        fix="use --batch-size 1d (a day), 7d (a week) or 1mo (a calendar month)",
        runbook=RUNBOOK,
    )


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _step_end(cur: date, size: BatchSize) -> date:
    if size == "1d":
        return cur + timedelta(days=1)
    if size == "7d":
        return cur + timedelta(days=7)
    return _next_month(cur)


def check_range(start: date, end: date) -> None:
    if start >= end:
        raise UserError(
            f"--start {start.isoformat()} is not before --end {end.isoformat()}",
            why="the range is start inclusive, end exclusive: it would hold no day",
            fix=f"pass an --end after the start, e.g. --start {start.isoformat()} "
            f"--end {(start + timedelta(days=1)).isoformat()}",
            runbook=RUNBOOK,
        )


def batches(start: date, end: date, size: BatchSize, *, max_batches: int = MAX_BATCHES) -> tuple[Batch, ...]:
    """``[start, end)`` cut into batches: days, 7-day windows from ``start``, or calendar months."""
    check_range(start, end)
    bounds: list[tuple[date, date]] = []
    cur = start
    while cur < end:
        nxt = min(_step_end(cur, size), end)
        bounds.append((cur, nxt))
        if len(bounds) > max_batches:
            raise UserError(
                f"{start.isoformat()} → {end.isoformat()} in {size} batches is more than {max_batches} batches",
                fix="use a larger --batch-size (7d or 1mo), or split the range into several backfills",
                runbook=RUNBOOK,
            )
        cur = nxt
    return tuple(Batch(i, len(bounds), s, e) for i, (s, e) in enumerate(bounds, 1))


def check_model(name: str, models: Mapping[str, ModelFacts]) -> ModelFacts:
    """The model to backfill, or ``UserError`` saying which models qualify (microbatch ones)."""
    qualifying = sorted(m.name for m in models.values() if m.microbatch)
    which = (
        f"models that qualify: {', '.join(qualifying)}"
        if qualifying
        else "no model of this project qualifies (none uses incremental_strategy='microbatch')"
    )
    model = models.get(name)
    if model is None:
        raise UserError(
            f"--model {name}: no such model in the dbt project",
            why=which,
            fix="pass the name of a microbatch model (the file name without .sql)",
            runbook=RUNBOOK,
        )
    if not model.microbatch:
        kind = (
            f"incremental with incremental_strategy {model.incremental_strategy!r}"
            if model.materialized == "incremental"
            else f"materialized as {model.materialized!r}"
        )
        raise UserError(
            f"--model {name} cannot be backfilled by date range: it is {kind}",
            why="dbt applies --event-time-start/--event-time-end only to microbatch models; it would "
            f"ignore them for {name} and run it as usual, so no batch would cover its range; {which}",
            fix=f"backfill a microbatch model, or make {name} one (incremental_strategy='microbatch' "
            "with event_time, batch_size and begin); a table model is rebuilt in full by every deploy",
            runbook=RUNBOOK,
        )
    return model


def default_batch_size(model: ModelFacts) -> BatchSize:
    """The finest batch that never rebuilds one of the model's own dbt batches twice."""
    return _FINEST.get(model.batch_size or "", "1mo")


def check_alignment(model: ModelFacts, size: BatchSize, start: date, end: date) -> None:
    """Refuse batches finer than the model's own ``batch_size``, and month ranges off month starts."""
    finest = _FINEST.get(model.batch_size or "")
    if finest is None:
        raise UserError(
            f"--model {model.name} has batch_size {model.batch_size!r}: batches of at most a month "
            "cannot backfill it",
            why="dbt rebuilds whole batches of the model's batch_size for any range inside one",
            fix=f"run dbt yourself (dbt run -s {model.name} --event-time-start … --event-time-end …), "
            "or give the model batch_size day or month",
            runbook=RUNBOOK,
        )
    if finest == "1mo" and size != "1mo":
        raise UserError(
            f"--batch-size {size} is finer than {model.name}'s batch_size month",
            why="dbt widens every range to whole months for this model, so each batch would rebuild "
            "the same month again",
            fix="use --batch-size 1mo",
            runbook=RUNBOOK,
        )
    if finest == "1mo":
        for option, day in (("--start", start), ("--end", end)):
            if day.day != 1:
                raise UserError(
                    f"{option} {day.isoformat()} is not the first day of a month",
                    why=f"{model.name} has batch_size month: dbt rebuilds whole months, so the range "
                    "must be whole months",
                    fix=f"use {option} {day.replace(day=1).isoformat()}"
                    + (f" or {_next_month(day).isoformat()}" if option == "--end" else ""),
                    runbook=RUNBOOK,
                )


def backfill_steps(model: ModelFacts, batch_list: Sequence[Batch], vars_json: str) -> tuple[Step, ...]:
    """One dbt run per batch, then the models downstream rebuilt (when any), then the model's tests."""
    steps = [
        Step(
            BACKFILL_BATCH,
            f"batch {b.index}/{b.total}: re-run {model.name} over {b.label} in the idle colour",
            action="dbt",
            dbt_args=(
                "run",
                "--select",
                model.name,
                "--vars",
                vars_json,
                "--event-time-start",
                b.start.isoformat(),
                "--event-time-end",
                b.end.isoformat(),
            ),
        )
        for b in batch_list
    ]
    if model.has_children:
        steps.append(
            Step(
                BACKFILL_DOWNSTREAM,
                f"rebuild and test the models downstream of {model.name} from its backfilled rows",
                action="dbt",
                dbt_args=(
                    "build",
                    "--select",
                    f"{model.name}+",
                    "--exclude",
                    model.name,
                    "--vars",
                    vars_json,
                ),
            )
        )
    steps.append(
        Step(
            BACKFILL_TEST,
            f"run the tests of {model.name} on its backfilled rows (the gates read their results)",
            action="dbt",
            dbt_args=("test", "--select", model.name, "--vars", vars_json),
        )
    )
    return tuple(steps)


def with_backfill(
    plan: Plan, model: ModelFacts, batch_list: Sequence[Batch], vars_json: str, size: BatchSize
) -> Plan:
    """The deploy plan with the backfill steps right after its full build."""
    steps: list[Step] = []
    for step in plan.steps:
        steps.append(step)
        if step.name == BUILD:
            steps += backfill_steps(model, batch_list, vars_json)
    first, last = batch_list[0], batch_list[-1]
    return Plan(
        stage="backfill",
        dialect=plan.dialect,
        steps=tuple(steps),
        facts=(
            *plan.facts,
            ("model", model.name),
            ("range", f"{first.start.isoformat()} → {last.end.isoformat()} (end exclusive)"),
            ("batches", f"{len(batch_list)} of {size}"),
        ),
    )


def resume_point(rows: Sequence[Mapping[str, object]], deploy_id: str) -> frozenset[tuple[str, str]]:
    """(step, detail) of the resumable steps ``deploy_id`` already finished, for a re-run to skip.

    Empty when another deploy wrote to the journal after this one started (after a --force-unlock):
    the idle colour may have been rebuilt since, so nothing earlier can be trusted.
    """
    first = next((i for i, r in enumerate(rows) if r.get("deploy_id") == deploy_id), None)
    if first is None or any(r.get("deploy_id") != deploy_id for r in rows[first:]):
        return frozenset()
    return frozenset(
        (str(r.get("step")), str(r.get("detail") or "") if r.get("step") == BACKFILL_BATCH else "")
        for r in rows[first:]
        if r.get("status") == "succeeded" and r.get("step") in RESUMABLE
    )
