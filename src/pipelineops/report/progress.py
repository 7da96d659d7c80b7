"""Progress of long work (dbt nodes, batches, tables): the counts, the estimate and their text. Pure.

A ``ProgressState`` is advanced by ``UnitStarted``/``UnitFinished`` events; every function here takes the
time as an argument (``now``, in seconds of the clock the caller uses), so nothing reads a clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

logger = logging.getLogger(__name__)

Outcome = Literal["ok", "failed", "warned", "skipped"]


@dataclass(frozen=True)
class UnitStarted:
    """A unit of work (a dbt node, a batch, a table) started; ``total`` when the source knows it."""

    unit_id: str
    label: str
    total: int | None = None


@dataclass(frozen=True)
class UnitFinished:
    unit_id: str
    outcome: Outcome
    total: int | None = None


ProgressEvent = UnitStarted | UnitFinished


@dataclass(frozen=True)
class PreviousRun:
    """Per-unit seconds of an earlier run of the same work, and how long that whole run took."""

    seconds: Mapping[str, float] = field(default_factory=dict)
    elapsed: float | None = None

    def wall_factor(self) -> float:
        """Wall-clock seconds per second of unit time (overhead above 1, parallel threads below 1)."""
        busy = sum(self.seconds.values())
        if self.elapsed is None or busy <= 0:
            return 1.0
        return self.elapsed / busy


@dataclass(frozen=True)
class ProgressState:
    title: str
    verb: str
    started_at: float
    total: int | None = None
    done: int = 0
    failed: int = 0
    warned: int = 0
    skipped: int = 0
    finished: frozenset[str] = frozenset()
    running: tuple[tuple[str, str], ...] = ()  # (unit id, label), oldest first

    @property
    def current(self) -> str | None:
        """The unit running now: the latest one started; ``(+n)`` more when several run at once."""
        if not self.running:
            return None
        more = len(self.running) - 1
        return self.running[-1][1] + (f" (+{more})" if more else "")


def start(title: str, verb: str, now: float) -> ProgressState:
    return ProgressState(title=title, verb=verb, started_at=now)


def advance(state: ProgressState, event: ProgressEvent) -> ProgressState:
    """The state after ``event``; a unit finishing twice (dbt repeats results in its summary) counts once."""
    total = event.total if event.total is not None else state.total
    running = tuple(r for r in state.running if r[0] != event.unit_id)
    if isinstance(event, UnitStarted):
        if event.unit_id in state.finished:
            return replace(state, total=total)
        return replace(state, total=total, running=(*running, (event.unit_id, event.label)))
    if event.unit_id in state.finished:
        return replace(state, total=total, running=running)
    return replace(
        state,
        total=total,
        done=state.done + 1,
        failed=state.failed + (event.outcome == "failed"),
        warned=state.warned + (event.outcome == "warned"),
        skipped=state.skipped + (event.outcome == "skipped"),
        finished=state.finished | {event.unit_id},
        running=running,
    )


def estimate_left(state: ProgressState, now: float, previous: PreviousRun | None = None) -> float | None:
    """Seconds left: from the previous run's per-unit times of the units not finished yet, else from this
    run's pace so far; ``None`` while there is nothing to go on."""
    if state.total is None:
        return None
    remaining = max(state.total - state.done, 0)
    if remaining == 0:
        return 0.0
    if previous is not None and previous.seconds:
        pending = [s for uid, s in previous.seconds.items() if uid not in state.finished]
        if pending:
            return remaining * (sum(pending) / len(pending)) * previous.wall_factor()
    if state.done == 0:
        return None
    return (now - state.started_at) / state.done * remaining


def format_elapsed(seconds: float) -> str:
    """``42s``, ``6m12s``, ``1h03m``."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _count(state: ProgressState) -> str:
    return f"{state.done}/{state.total if state.total is not None else '?'}"


def _problems(state: ProgressState) -> list[str]:
    parts = [f"{state.failed} failed"]
    if state.warned:
        parts.append(f"{state.warned} warned")
    if state.skipped:
        parts.append(f"{state.skipped} skipped")
    return parts


def render_status(state: ProgressState, now: float, previous: PreviousRun | None = None) -> str:
    """The live line after the bar: ``34/100, 1 failed, 2 warned, 41s elapsed, ~1m20s left, now <node>``."""
    parts = [_count(state), *_problems(state), f"{format_elapsed(now - state.started_at)} elapsed"]
    left = estimate_left(state, now, previous)
    if left is not None and state.done < (state.total or 0):
        parts.append(f"~{format_elapsed(left)} left")
    if state.current:
        parts.append(f"now {state.current}")
    return ", ".join(parts)


def render_heartbeat(state: ProgressState, now: float) -> str:
    """One CI log line: ``built 340/1000, 2 failed, 6m12s``."""
    return ", ".join(
        [f"{state.verb} {_count(state)}", *_problems(state), format_elapsed(now - state.started_at)]
    )


def render_summary(state: ProgressState, now: float) -> str:
    """The final counts as one markdown line for the step summary."""
    return f"**{state.title}**: {render_heartbeat(state, now)}"


@dataclass
class Heartbeat:
    """Says when a heartbeat is due: ``interval`` seconds after the start, then after each beat."""

    started_at: float
    interval: float = 30.0
    last: float | None = None

    def due(self, now: float) -> bool:
        if now - (self.last if self.last is not None else self.started_at) < self.interval:
            return False
        self.last = now
        return True
