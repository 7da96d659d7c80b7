"""Where progress goes: a live line on a terminal (drawn by ``tqdm``), a heartbeat line in CI, or nowhere.

Each sink keeps a ``ProgressState`` (``progress.py``) advanced by the events it is given; ``tick()`` lets it
redraw or beat while no event arrives (the dbt runner calls it about once a second). The clock is injected.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, TextIO

from tqdm import tqdm

from pipelineops.report.progress import (
    Heartbeat,
    PreviousRun,
    ProgressEvent,
    ProgressState,
    advance,
    render_heartbeat,
    render_status,
    start,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class ProgressSink(Protocol):
    state: ProgressState

    def update(self, event: ProgressEvent) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...
    def writing(self) -> AbstractContextManager[None]:
        """Wrap other writes to the same stream, so that they do not garble the live line."""
        ...


class SilentProgress:
    """Counts, shows nothing: ``--json``, a pipe, ``TERM=dumb``."""

    def __init__(self, title: str, verb: str, clock: Clock, previous: PreviousRun | None = None) -> None:
        self.clock = clock
        self.previous = previous
        self.state = start(title, verb, clock())

    def update(self, event: ProgressEvent) -> None:
        self.state = advance(self.state, event)
        self._show()

    def tick(self) -> None:
        self._show()

    def _show(self) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to clear."""

    def writing(self) -> AbstractContextManager[None]:
        return nullcontext()


class HeartbeatProgress(SilentProgress):
    """One line through ``emit`` every ``interval`` seconds: ``built 340/1000, 2 failed, 6m12s``."""

    def __init__(
        self,
        title: str,
        verb: str,
        clock: Clock,
        emit: Callable[[str], None],
        *,
        interval: float = 30.0,
        previous: PreviousRun | None = None,
    ) -> None:
        super().__init__(title, verb, clock, previous)
        self.emit = emit
        self.heartbeat = Heartbeat(self.state.started_at, interval)

    def _show(self) -> None:
        now = self.clock()
        if self.heartbeat.due(now):
            self.emit(render_heartbeat(self.state, now))


class _Bar(tqdm):  # type: ignore[misc]  # tqdm ships no type hints
    """tqdm with our own status text (counts, estimate, running node) after the bar."""

    monitor_interval = 0  # no monitor thread: we redraw on events and ticks
    status = ""

    @property
    def format_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = super().format_dict
        values["status"] = self.status
        return values


def terminal_size(stream: TextIO) -> tuple[int, int]:
    """Columns and lines of the terminal behind ``stream``; 80x24 when it does not say (a pty of size 0,
    where tqdm would draw nothing)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):
        return 80, 24
    return size.columns or 80, size.lines or 24


BAR_CELLS = 12
NODE_ROOM = 20
WITH_BAR = "{desc} {percentage:3.0f}%|{bar:" + str(BAR_CELLS) + "}| {status}"
WITHOUT_BAR = "{desc}: {status}"


def line_format(title: str, status: str, columns: int, *, bar: bool) -> str:
    """tqdm's ``bar_format``: a 12-cell bar when the total is known and the line has room for it next to
    the counts and 20 characters of the running node; the status is never shortened for the bar. The
    node's own name does not count, so it cannot make the bar come and go; a long one is cut at the
    right edge (it is last)."""
    counts = status.split(", now ", 1)[0]
    if not bar or len(f"{title} 100%|{' ' * BAR_CELLS}| {counts}, now ") + NODE_ROOM > columns:
        return WITHOUT_BAR
    return WITH_BAR


class LiveProgress(SilentProgress):
    """A live line on a terminal, redrawn in place by tqdm; cleared when the work ends."""

    def __init__(
        self,
        title: str,
        verb: str,
        clock: Clock,
        stream: TextIO,
        *,
        color: bool,
        previous: PreviousRun | None = None,
    ) -> None:
        super().__init__(title, verb, clock, previous)
        self.stream = stream
        self.color = color
        self.narrow = False
        self.bar = _Bar(
            file=stream,
            desc=title,
            total=None,
            bar_format=WITHOUT_BAR,
            leave=False,
            mininterval=0,
            ncols=terminal_size(stream)[0],
            nrows=terminal_size(stream)[1],
            colour="green" if color else None,
        )

    def _show(self) -> None:
        state = self.state
        self.bar.ncols, self.bar.nrows = terminal_size(self.stream)
        self.bar.status = render_status(state, self.clock(), self.previous)
        if state.total is not None:
            self.bar.total = state.total
            self.bar.n = min(state.done, state.total)
        self.bar.bar_format = line_format(
            state.title, self.bar.status, self.bar.ncols, bar=state.total is not None and not self.narrow
        )
        # once the counts outgrow the room for a bar (warnings appear), it stays away: no flicker
        self.narrow = self.narrow or (state.total is not None and self.bar.bar_format == WITHOUT_BAR)
        if self.color and state.failed:
            self.bar.colour = "red"
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with _Bar.external_write_mode(file=self.stream):
            yield

    def writing(self) -> AbstractContextManager[None]:
        return self._writing()
