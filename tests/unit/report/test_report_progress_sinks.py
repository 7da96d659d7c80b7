"""Where progress goes: the live line on a terminal, the CI heartbeat (injected clock), or nowhere."""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelineops.report.progress import PreviousRun, UnitFinished, UnitStarted
from pipelineops.report.progress_sinks import (
    WITH_BAR,
    WITHOUT_BAR,
    HeartbeatProgress,
    LiveProgress,
    SilentProgress,
    line_format,
    terminal_size,
)
from pipelineops.report.reporter import (
    GithubActionsReporter,
    TerminalReporter,
    make_reporter,
    progress_mode,
)


class _Tty(io.StringIO):
    """A terminal: 80x24 by default (no size to read), or the size of the pty ``fd``; its text kept here."""

    def __init__(self, fd: int | None = None) -> None:
        super().__init__()
        self.fd = fd

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return super().fileno() if self.fd is None else self.fd


@pytest.fixture
def wide() -> Iterator[_Tty]:
    """A terminal of 120 columns."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        yield _Tty(follower)
    finally:
        os.close(leader)
        os.close(follower)


class _Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


STATUS = re.compile(r"(\d+)/(\d+|\?), (\d+) failed")


def _frames(text: str) -> list[str]:
    """What a terminal showed, frame by frame: the text between carriage returns and newlines."""
    return [f.rstrip() for f in re.split(r"[\r\n]", text) if f.strip()]


def _counts(text: str) -> list[tuple[str, str, str]]:
    seen: list[tuple[str, str, str]] = []
    for frame in _frames(text):
        m = STATUS.search(frame)
        if m and (not seen or seen[-1] != m.groups()):
            seen.append(m.groups())
    return seen


def test_silent_progress_counts_and_shows_nothing() -> None:
    sink = SilentProgress("dbt build", "built", _Clock())
    sink.update(UnitStarted("a", "model a", total=2))
    sink.update(UnitFinished("a", "failed"))
    sink.tick()
    with sink.writing():
        pass
    sink.close()
    assert (sink.state.done, sink.state.failed, sink.state.total) == (1, 1, 2)


def test_heartbeat_beats_every_30_seconds_on_events_and_ticks() -> None:
    clock = _Clock(1000.0)
    lines: list[str] = []
    sink = HeartbeatProgress("dbt build", "built", clock, lines.append)
    sink.update(UnitStarted("a", "model a", total=1000))
    clock.now = 1029.0
    sink.tick()
    assert lines == []
    clock.now = 1030.0
    sink.update(UnitFinished("a", "failed"))
    clock.now = 1045.0
    sink.tick()
    clock.now = 1061.0  # a long node: only ticks arrive
    sink.tick()
    sink.tick()
    assert lines == ["built 1/1000, 1 failed, 30s", "built 1/1000, 1 failed, 1m01s"]


def test_live_progress_draws_counts_estimate_and_running_node_then_clears_the_line(wide: _Tty) -> None:
    clock = _Clock()
    stream = wide
    sink = LiveProgress(
        "dbt build", "built", clock, stream, color=False, previous=PreviousRun({"a": 2.0, "b": 2.0})
    )
    sink.tick()
    sink.update(UnitStarted("a", "model a", total=2))
    clock.now += 3
    sink.update(UnitFinished("a", "failed"))
    sink.update(UnitStarted("b", "model b", total=2))
    with sink.writing():
        stream.write("a line from dbt\n")
    sink.update(UnitFinished("b", "ok"))
    sink.close()
    text = stream.getvalue()
    assert _counts(text) == [("0", "?", "0"), ("0", "2", "0"), ("1", "2", "1"), ("2", "2", "1")]
    frames = _frames(text)
    assert "dbt build: 0/?, 0 failed, 0s elapsed" in frames
    assert "dbt build   0%|            | 0/2, 0 failed, 0s elapsed, ~4s left, now model a" in frames
    assert "dbt build  50%|######      | 1/2, 1 failed, 3s elapsed, ~2s left, now model b" in frames
    assert "a line from dbt" in frames
    assert "\x1b[" not in text, "NO_COLOR: no colour codes"
    assert text.endswith("\r"), "the live line is cleared at the end"


def test_line_format_drops_the_bar_rather_than_shorten_the_status() -> None:
    status = "1/2, 0 failed, 3s elapsed, now model with_a_name_long_enough_to_be_cut"
    assert line_format("dbt build", status, 80, bar=True) == WITH_BAR
    assert line_format("dbt build", status, 80, bar=False) == WITHOUT_BAR
    assert line_format("dbt build (deploy-build)", status, 80, bar=True) == WITHOUT_BAR


def test_live_progress_on_a_narrow_terminal_shows_the_status_without_a_bar() -> None:
    stream = _Tty()
    sink = LiveProgress("dbt build (deploy-build)", "built", _Clock(), stream, color=True)
    sink.update(UnitStarted("a", "model a", total=2))
    sink.close()
    assert "dbt build (deploy-build): 0/2, 0 failed, 0s elapsed, now model a" in _frames(stream.getvalue())


def test_live_progress_in_colour_turns_red_after_a_failure(wide: _Tty) -> None:
    stream = wide
    sink = LiveProgress("dbt build", "built", _Clock(), stream, color=True)
    sink.update(UnitStarted("a", "model a", total=2))
    assert "\x1b[32m" in stream.getvalue()
    sink.update(UnitFinished("a", "failed"))
    sink.close()
    assert "\x1b[31m" in stream.getvalue()


def test_terminal_size_reads_the_pty_and_falls_back_when_it_says_nothing() -> None:
    assert terminal_size(io.StringIO()) == (80, 24)
    leader, follower = os.openpty()
    try:
        with open(follower, "w", closefd=False) as tty:
            assert terminal_size(tty) == (80, 24)  # a new pty has size 0x0
            fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
            assert terminal_size(tty) == (120, 30)
    finally:
        os.close(leader)
        os.close(follower)


@pytest.mark.parametrize(
    ("env", "tty", "json_mode", "mode"),
    [
        ({}, True, False, "live"),
        ({"NO_COLOR": "1"}, True, False, "live"),
        ({}, True, True, "off"),
        ({}, False, False, "off"),
        ({"TERM": "dumb"}, True, False, "off"),
        ({"CI": "true"}, True, False, "heartbeat"),
        ({"CI": "false"}, True, False, "live"),
        ({"CI": "1"}, False, True, "off"),
    ],
)
def test_progress_mode(env: dict[str, str], tty: bool, json_mode: bool, mode: str) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert progress_mode(env, stream, json_mode=json_mode) == mode
    reporter = make_reporter(env, stream, json_mode=json_mode)
    assert isinstance(reporter, TerminalReporter) and reporter.progress_mode == mode


def test_make_reporter_no_colour_on_a_dumb_terminal() -> None:
    reporter = make_reporter({"TERM": "dumb"}, _Tty())
    assert isinstance(reporter, TerminalReporter) and not reporter.color


def test_terminal_reporter_keeps_the_live_line_below_its_own_lines() -> None:
    stream = _Tty()
    reporter = TerminalReporter(stream, color=False, progress="live", clock=_Clock())
    with reporter.progress("dbt build (b)", verb="built") as progress:
        progress.update(UnitStarted("a", "model a", total=1))
        reporter.tool_output("12:00:00  1 of 1 ERROR creating sql table model a")
        progress.update(UnitFinished("a", "failed"))
    frames = _frames(stream.getvalue())
    line = frames.index("12:00:00  1 of 1 ERROR creating sql table model a")
    assert "0/1, 0 failed" in frames[line - 1] and "0/1, 0 failed" in frames[line + 1]
    assert reporter.summaries == ["**dbt build (b)**: built 1/1, 1 failed, 0s"]
    reporter.info("after")
    assert stream.getvalue().endswith("\rafter\n")


@pytest.mark.parametrize(("mode", "shown"), [("off", False), ("heartbeat", True)])
def test_terminal_reporter_without_a_live_line(mode: str, shown: bool) -> None:
    clock = _Clock()
    stream = io.StringIO()
    reporter = TerminalReporter(stream, color=False, progress=mode, clock=clock)  # type: ignore[arg-type]
    with reporter.progress("dbt seed (s)", verb="seeded") as progress:
        progress.update(UnitStarted("a", "seed a", total=3))
        clock.now += 31
        progress.tick()
    assert stream.getvalue() == ("seeded 0/3, 0 failed, 31s\n" if shown else "")
    assert reporter.summaries == ["**dbt seed (s)**: seeded 0/3, 0 failed, 31s"]


def _gh_env(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def test_github_heartbeat_goes_outside_the_folded_group_and_counts_go_to_the_summary(
    tmp_path: Path,
) -> None:
    clock = _Clock()
    stream = io.StringIO()
    env = _gh_env(tmp_path)
    reporter = GithubActionsReporter(env, stream, clock=clock)
    title = "dbt build (deploy-build)"
    with reporter.group(title), reporter.progress(title, verb="built") as progress:
        reporter.tool_output("START 1")
        progress.update(UnitStarted("a", "model a", total=1000))
        clock.now += 30
        progress.tick()
        reporter.tool_output("OK 1")
        progress.update(UnitFinished("a", "failed"))
        clock.now += 342
        progress.tick()
    assert stream.getvalue() == (
        "::group::dbt build (deploy-build)\nSTART 1\n::endgroup::\nbuilt 0/1000, 0 failed, 30s\n"
        "::group::dbt build (deploy-build) (continued)\nOK 1\n::endgroup::\n"
        "built 1/1000, 1 failed, 6m12s\n::group::dbt build (deploy-build) (continued)\n::endgroup::\n"
    )
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == "**dbt build (deploy-build)**: built 1/1000, 1 failed, 6m12s\n\n"


def test_github_heartbeat_outside_any_group_and_none_in_json_mode(tmp_path: Path) -> None:
    clock = _Clock()
    stream = io.StringIO()
    reporter = GithubActionsReporter(_gh_env(tmp_path), stream, clock=clock)
    with reporter.progress("restore", verb="restored") as progress:
        clock.now += 30
        progress.tick()
    assert stream.getvalue() == "restored 0/?, 0 failed, 30s\n"
    quiet = make_reporter(_gh_env(tmp_path), stream := io.StringIO(), json_mode=True)
    assert isinstance(quiet, GithubActionsReporter) and not quiet.heartbeat
    with quiet.progress("restore", verb="restored") as progress:
        clock.now += 60
        progress.tick()
    assert stream.getvalue() == ""


def test_live_progress_drops_the_bar_for_good_once_the_counts_outgrow_it() -> None:
    """On 80 columns a bar fits next to ``0/2, 0 failed``, not next to the estimate that follows; when
    the estimate goes away at the end, the bar does not come back."""
    stream = _Tty()
    sink = LiveProgress("x", "built", _Clock(), stream, color=False)
    sink.update(UnitStarted("a", "model a", total=2))
    sink.update(UnitFinished("a", "failed"))
    sink.update(UnitFinished("b", "ok"))
    frames = _frames(stream.getvalue())
    sink.close()
    assert frames[-3:] == [
        "x   0%|            | 0/2, 0 failed, 0s elapsed, now model a",
        "x: 1/2, 1 failed, 0s elapsed, ~0s left",
        "x: 2/2, 1 failed, 0s elapsed",
    ]
