"""Plain-text rendering for a terminal or a CI log: aligned tables, ANSI colours only when asked."""

from __future__ import annotations

import logging

from pipelineops.report.model import (
    Advice,
    Cell,
    Conclusion,
    Failure,
    Section,
    StageReport,
    cell_text,
    format_duration,
)

logger = logging.getLogger(__name__)

_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"
_COLOURS: dict[str, str] = {
    "success": "\033[32m",
    "failure": "\033[31m",
    "error": "\033[31m",
    "skipped": "\033[33m",
    "warning": "\033[33m",
    "neutral": "\033[36m",
    "notice": "\033[36m",
    "cancelled": "\033[35m",
}


class _Style:
    def __init__(self, *, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text


def _label(conclusion: Conclusion) -> str:
    return f"[{conclusion.upper()}]"


def _clean(value: str) -> str:
    return " ".join(value.split())


def render_table(
    headers: tuple[str, ...], rows: tuple[tuple[Cell, ...], ...], *, indent: str = "  "
) -> list[str]:
    """Columns padded to the widest cell; a dashed rule under the headers when there are any."""
    width = max([len(headers), *(len(row) for row in rows)])
    padded = [tuple(_clean(cell_text(cell)) for cell in row) + ("",) * (width - len(row)) for row in rows]
    head = tuple(_clean(cell) for cell in headers) + ("",) * (width - len(headers))
    sizes = [max([len(head[i]), *(len(row[i]) for row in padded)]) for i in range(width)]

    def line(cells: tuple[str, ...]) -> str:
        return (
            indent + "  ".join(cell.ljust(size) for cell, size in zip(cells, sizes, strict=True))
        ).rstrip()

    lines = []
    if headers:
        lines.append(line(head))
        lines.append(indent + "  ".join("-" * size for size in sizes))
    lines.extend(line(row) for row in padded)
    return lines


def _section(section: Section, style: _Style) -> list[str]:
    lines = [style(f"== {_clean(section.title)} ==", _BOLD)]
    if section.headers or section.rows:
        lines.extend(render_table(section.headers, section.rows))
    if section.text.strip():
        lines.extend(f"  {text_line}".rstrip() for text_line in section.text.rstrip().splitlines())
    return lines


def _failure(failure: Failure) -> list[str]:
    about = " ".join(part for part in (failure.kind, f"on {failure.model}" if failure.model else "") if part)
    where = ""
    if failure.file:
        where = " in " + (failure.file if failure.line is None else f"{failure.file}:{failure.line}")
    detail = f": {_clean(failure.detail)}" if failure.detail else ""
    lines = [f"  - {_clean(failure.name)}{f' ({about})' if about else ''}{where}{detail}"]
    lines.extend(f"      {line}".rstrip() for line in failure.error.strip("\n").splitlines())
    return lines


def _advice(advice: Advice) -> list[str]:
    mark = "! " if advice.level == "warning" else "- "
    text = _clean(advice.text)
    if advice.link is not None:
        text += f" {_clean(advice.link.label)}: {advice.link.url}"
    lines = [f"  {mark}{text}"]
    lines.extend(f"      {line}".rstrip() for line in advice.command.strip("\n").splitlines())
    return lines


def render_terminal(report: StageReport, *, color: bool) -> str:
    """The report as readable plain text in the one order (verdict, what failed, what to do, warnings,
    facts, details); ``color`` adds ANSI escapes (never when False)."""
    style = _Style(color=color)
    lines = [
        f"{style(_label(report.conclusion), _COLOURS[report.conclusion] + _BOLD)} "
        f"{report.stage}: {_clean(report.title)}"
    ]
    if report.failures:
        lines.append(style("What failed:", _BOLD))
        for failure in report.failures:
            lines.extend(_failure(failure))
    if report.advice:
        lines.append(style("What to do:", _BOLD))
        for advice in report.advice:
            lines.extend(_advice(advice))
    for annotation in report.annotations:
        if report.failures and annotation.level == "error":
            continue
        where = ""
        if annotation.file:
            where = annotation.file if annotation.line is None else f"{annotation.file}:{annotation.line}"
            where += ": "
        title = f"{_clean(annotation.title)}: " if annotation.title else ""
        level = style(annotation.level, _COLOURS[annotation.level])
        lines.append(f"  {level}: {where}{title}{annotation.message.strip()}")
    if report.facts:
        lines.extend(render_table((), tuple((key, value) for key, value in report.facts)))
    for section in report.sections:
        lines.append("")
        lines.extend(_section(section, style))
    footer = []
    if report.duration_s is not None:
        footer.append(f"finished in {format_duration(report.duration_s)}")
    if report.run_url:
        footer.append(f"run: {report.run_url}")
    if footer:
        lines.append("")
        lines.append(style(" · ".join(footer), _DIM))
    return "\n".join(lines) + "\n"
