"""Where library output goes: a ``Reporter`` for GitHub Actions and one for a plain terminal (STYLE.md §5)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TextIO

from pipelineops.report import actions
from pipelineops.report.json_out import render_json
from pipelineops.report.markdown import render_markdown
from pipelineops.report.model import Level, StageReport
from pipelineops.report.terminal import render_terminal

logger = logging.getLogger(__name__)


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

    def __init__(self, stream: TextIO, *, color: bool, verbose: bool = False) -> None:
        self.stream = stream
        self.color = color
        self.verbose = verbose
        self.outputs: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self.summaries: list[str] = []
        self._secrets: list[str] = []

    def _write(self, text: str) -> None:
        for secret in self._secrets:
            text = text.replace(secret, "***")
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

    def __init__(self, env: Mapping[str, str], stream: TextIO) -> None:
        self.env = env
        self.stream = stream

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
        try:
            yield
        finally:
            actions.issue(self.stream, "endgroup")

    def group(self, title: str) -> AbstractContextManager[None]:
        return self._group(title)

    def output(self, name: str, value: str) -> None:
        actions.set_output(self.env, name, value)

    def summary(self, markdown: str) -> None:
        actions.append_summary(self.env, markdown)

    def mask(self, secret: str) -> None:
        actions.add_mask(self.stream, secret)

    def publish(self, report: StageReport, *, json_mode: bool) -> None:
        rendered = render_json(report) if json_mode else render_terminal(report, color=True)
        actions.write_plain(self.stream, rendered)
        for a in report.annotations:
            self._annotate(a.level, a.message, a.title, a.file, a.line)
        for name, value in report.outputs:
            self.output(name, value)
        self.summary(render_markdown(report))


def make_reporter(env: Mapping[str, str], stream: TextIO, *, verbose: bool = False) -> Reporter:
    """GitHub Actions when ``GITHUB_ACTIONS == "true"``, else a terminal (coloured on a TTY, not NO_COLOR)."""
    if env.get("GITHUB_ACTIONS") == "true":
        return GithubActionsReporter(env, stream)
    color = stream.isatty() and not env.get("NO_COLOR")
    return TerminalReporter(stream, color=color, verbose=verbose)
