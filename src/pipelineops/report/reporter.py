"""Where library output goes: a ``Reporter`` for GitHub Actions and one for a plain terminal (STYLE.md §5)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Literal, Protocol, TextIO

from pipelineops.report import actions
from pipelineops.report.json_out import render_json
from pipelineops.report.markdown import render_markdown
from pipelineops.report.model import Level, StageReport
from pipelineops.report.progress import PreviousRun, render_summary
from pipelineops.report.progress_sinks import (
    Clock,
    HeartbeatProgress,
    LiveProgress,
    ProgressSink,
    SilentProgress,
)
from pipelineops.report.terminal import render_terminal

logger = logging.getLogger(__name__)

#: how a terminal shows progress: a live line, a heartbeat line (CI), or not at all
ProgressMode = Literal["live", "heartbeat", "off"]


class Reporter(Protocol):
    def debug(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None: ...
    def info(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None: ...
    def warning(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None: ...
    def error(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None: ...
    def tool_output(self, line: str) -> None:
        """One line a tool (dbt) printed: all of them in CI logs, the telling ones on a terminal."""
        ...

    def group(self, title: str) -> AbstractContextManager[None]: ...
    def progress(
        self, title: str, *, verb: str, previous: PreviousRun | None = None
    ) -> AbstractContextManager[ProgressSink]:
        """Progress of long work (``verb`` as in ``built 3/10``): a live line on a terminal, a heartbeat
        in CI, nothing in ``--json`` or a pipe; the final counts go to the step summary."""
        ...

    def output(self, name: str, value: str) -> None: ...
    def summary(self, markdown: str) -> None: ...
    def mask(self, secret: str) -> None: ...
    def publish(self, report: StageReport, *, json_mode: bool) -> None: ...


#: dbt lines a terminal shows without --debug: how each invocation ended, and every problem.
TELLING = re.compile(
    r"Finished running|Done\. PASS=|Completed (successfully|with)|\b(ERROR|FAIL|WARN)\b|Failure in|"
    r"(Database|Compilation|Runtime|Parsing) Error|Encountered an error"
)


def _prefix(file: str | None, line: int | None, title: str | None) -> str:
    where = ""
    if file:
        where = f"{file}:{line}: " if line is not None else f"{file}: "
    return where + (f"{title}: " if title else "")


class TerminalReporter:
    """Prefixed lines on one stream; outputs are listed after the report, summaries are kept, not printed."""

    def __init__(
        self,
        stream: TextIO,
        *,
        color: bool,
        verbose: bool = False,
        progress: ProgressMode = "off",
        clock: Clock = time.monotonic,
    ) -> None:
        self.stream = stream
        self.color = color
        self.verbose = verbose
        self.progress_mode = progress
        self.clock = clock
        self.outputs: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self.summaries: list[str] = []
        self._secrets: list[str] = []
        self._sink: ProgressSink | None = None

    def _write(self, text: str) -> None:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        sink = self._sink
        with sink.writing() if sink is not None else nullcontext():
            self.stream.write(text if text.endswith("\n") else text + "\n")
            self.stream.flush()

    def _line(self, level: str, message: str, title: str | None, file: str | None, line: int | None) -> None:
        self._write(f"{level}: {_prefix(file, line, title)}{message}")

    def debug(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        if self.verbose:
            self._line("debug", message, title, file, line)

    def info(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._write(_prefix(file, line, title) + message)

    def tool_output(self, line: str) -> None:
        if self.verbose or TELLING.search(line):
            self._write(line)

    def warning(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._line("warning", message, title, file, line)

    def error(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._line("error", message, title, file, line)

    @contextmanager
    def _group(self, title: str) -> Iterator[None]:
        self._write(f"── {title} ──")
        try:
            yield
        finally:
            self._write("")

    def group(self, title: str) -> AbstractContextManager[None]:
        return self._group(title)

    def _sink_for(self, title: str, verb: str, previous: PreviousRun | None) -> ProgressSink:
        if self.progress_mode == "live":
            return LiveProgress(title, verb, self.clock, self.stream, color=self.color, previous=previous)
        if self.progress_mode == "heartbeat":
            return HeartbeatProgress(title, verb, self.clock, self._write, previous=previous)
        return SilentProgress(title, verb, self.clock, previous)

    @contextmanager
    def _progress(self, title: str, verb: str, previous: PreviousRun | None) -> Iterator[ProgressSink]:
        sink = self._sink_for(title, verb, previous)
        self._sink = sink
        try:
            yield sink
        finally:
            self._sink = None
            sink.close()
            self.summary(render_summary(sink.state, self.clock()))

    def progress(
        self, title: str, *, verb: str, previous: PreviousRun | None = None
    ) -> AbstractContextManager[ProgressSink]:
        return self._progress(title, verb, previous)

    def output(self, name: str, value: str) -> None:
        self.outputs[name] = value
        self._pending[name] = value

    def summary(self, markdown: str) -> None:
        logger.debug("step summary not shown on a terminal (%d characters)", len(markdown))
        self.summaries.append(markdown)

    def mask(self, secret: str) -> None:
        self._secrets.extend(line for line in secret.splitlines() if line.strip())

    def publish(self, report: StageReport, *, json_mode: bool) -> None:
        self.outputs.update(report.outputs)
        shown = {**self._pending, **dict(report.outputs)}
        self._pending = {}
        if json_mode:
            self._write(render_json(report))
            return
        self._write(render_terminal(report, color=self.color))
        if shown:
            width = max(len(name) for name in shown)
            self._write("outputs:\n" + "\n".join(f"  {k.ljust(width)} = {v}" for k, v in shown.items()))


class GithubActionsReporter:
    """Workflow commands on the stream; outputs and the step summary go to the runner's files."""

    def __init__(
        self,
        env: Mapping[str, str],
        stream: TextIO,
        *,
        heartbeat: bool = True,
        clock: Clock = time.monotonic,
    ) -> None:
        self.env = env
        self.stream = stream
        self.heartbeat = heartbeat
        self.clock = clock
        self._groups: list[str] = []

    def _annotate(
        self, level: Level, message: str, title: str | None, file: str | None, line: int | None
    ) -> None:
        actions.issue(self.stream, level, message, {"file": file, "line": line, "title": title})

    def debug(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        actions.issue(self.stream, "debug", _prefix(file, line, title) + message)

    def info(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        actions.write_plain(self.stream, _prefix(file, line, title) + message)

    def tool_output(self, line: str) -> None:
        actions.write_plain(self.stream, line)

    def warning(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._annotate("warning", message, title, file, line)

    def error(
        self, message: str, *, title: str | None = None, file: str | None = None, line: int | None = None
    ) -> None:
        self._annotate("error", message, title, file, line)

    @contextmanager
    def _group(self, title: str) -> Iterator[None]:
        actions.issue(self.stream, "group", title)
        self._groups.append(title)
        try:
            yield
        finally:
            self._groups.pop()
            actions.issue(self.stream, "endgroup")

    def group(self, title: str) -> AbstractContextManager[None]:
        return self._group(title)

    def _beat(self, line: str) -> None:
        """A heartbeat goes outside the folded group: close it, log the line, reopen it."""
        if not self._groups:
            actions.write_plain(self.stream, line)
            return
        actions.issue(self.stream, "endgroup")
        actions.write_plain(self.stream, line)
        actions.issue(self.stream, "group", f"{self._groups[-1]} (continued)")

    @contextmanager
    def _progress(self, title: str, verb: str, previous: PreviousRun | None) -> Iterator[ProgressSink]:
        sink: ProgressSink = (
            HeartbeatProgress(title, verb, self.clock, self._beat, previous=previous)
            if self.heartbeat
            else SilentProgress(title, verb, self.clock, previous)
        )
        try:
            yield sink
        finally:
            sink.close()
            self.summary(render_summary(sink.state, self.clock()))

    def progress(
        self, title: str, *, verb: str, previous: PreviousRun | None = None
    ) -> AbstractContextManager[ProgressSink]:
        return self._progress(title, verb, previous)

    def output(self, name: str, value: str) -> None:
        actions.set_output(self.env, name, value)

    def summary(self, markdown: str) -> None:
        actions.append_summary(self.env, markdown)

    def mask(self, secret: str) -> None:
        actions.add_mask(self.stream, secret)

    def publish(self, report: StageReport, *, json_mode: bool) -> None:
        rendered = render_json(report) if json_mode else render_terminal(report, color=True)
        actions.write_plain(self.stream, rendered)
        for f in report.failures:  # every failure pinned to the run, and to its file on the diff
            self._annotate("error", f.error.strip() or f.detail or f.name, f.name, f.file, f.line)
        for a in report.annotations:
            if not (report.failures and a.level == "error"):
                self._annotate(a.level, a.message, a.title, a.file, a.line)
        for name, value in report.outputs:
            self.output(name, value)
        self.summary(render_markdown(report))


def progress_mode(env: Mapping[str, str], stream: TextIO, *, json_mode: bool) -> ProgressMode:
    """A live line only on an interactive terminal; a heartbeat in CI; nothing in ``--json`` or a pipe."""
    if json_mode:
        return "off"
    if env.get("CI", "").lower() not in ("", "0", "false"):
        return "heartbeat"
    if stream.isatty() and env.get("TERM") != "dumb":
        return "live"
    return "off"


def make_reporter(
    env: Mapping[str, str], stream: TextIO, *, verbose: bool = False, json_mode: bool = False
) -> Reporter:
    """GitHub Actions when ``GITHUB_ACTIONS == "true"``, else a terminal (coloured on a TTY, not NO_COLOR,
    not TERM=dumb)."""
    if env.get("GITHUB_ACTIONS") == "true":
        return GithubActionsReporter(env, stream, heartbeat=not json_mode)
    color = stream.isatty() and not env.get("NO_COLOR") and env.get("TERM") != "dumb"
    mode = progress_mode(env, stream, json_mode=json_mode)
    return TerminalReporter(stream, color=color, verbose=verbose, progress=mode)
