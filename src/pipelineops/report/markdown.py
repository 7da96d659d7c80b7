"""GitHub-flavoured markdown for the step summary and PR comments. Pure functions.

One order for every report: the verdict (heading), what failed, what to do, warnings, the facts, then
the details (sections, folded when marked so). Every piece of outside text goes through
``pipelineops.report.escape``; the only raw HTML emitted is ``<details>``, ``<summary>``, ``<sub>`` and
``<br>``.
"""

from __future__ import annotations

import logging

from pipelineops.report import escape, wording
from pipelineops.report.model import (
    Advice,
    Annotation,
    Cell,
    Conclusion,
    Failure,
    Link,
    Section,
    StageReport,
    format_duration,
)

logger = logging.getLogger(__name__)

_ICONS: dict[Conclusion, str] = {
    "success": "✅",
    "failure": "❌",
    "skipped": "⏭️",
    "neutral": "\N{INFORMATION SOURCE}\ufe0f",
    "cancelled": "🚫",
}
_LEVEL_ICONS = {"notice": "\N{INFORMATION SOURCE}\ufe0f", "warning": "⚠️", "error": "❌"}


def conclusion_label(conclusion: Conclusion) -> str:
    """Emoji plus word, e.g. ``✅ Success``: the word keeps it readable where emoji are not."""
    return f"{_ICONS[conclusion]} {conclusion.capitalize()}"


def render_cell(value: Cell) -> str:
    """One table cell or fact value: a link, or escaped text (a ``|`` cannot end the cell)."""
    if isinstance(value, Link):
        return escape.link(value.label, value.url)
    return escape.cell(value)


def render_table(headers: tuple[str, ...], rows: tuple[tuple[Cell, ...], ...]) -> str:
    """A GFM table with a real header row; short rows are padded to the widest one."""
    width = max([len(headers), *(len(row) for row in rows)])
    head = tuple(headers) + ("",) * (width - len(headers))
    lines = ["| " + " | ".join(escape.cell(cell) for cell in head) + " |", "|" + " --- |" * width]
    for row in rows:
        cells = tuple(row) + ("",) * (width - len(row))
        lines.append("| " + " | ".join(render_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render_heading(report: StageReport) -> str:
    return f"### {conclusion_label(report.conclusion)} · {report.stage} — {escape.inline(report.title)}"


def file_link(file: str, line: int | None, source_url: str | None) -> str:
    """A repository-relative path as a link into the repository (at the line when known)."""
    shown = file if line is None else f"{file}:{line}"
    if not source_url:
        return escape.code_span(shown)
    anchor = "" if line is None else f"#L{line}"
    return escape.link(shown, source_url.rstrip("/") + "/" + file.lstrip("/") + anchor)


def render_failure(failure: Failure, source_url: str | None) -> str:
    what = f"**{escape.inline(failure.name)}**"
    about = []
    if failure.kind:
        about.append(escape.inline(failure.kind))
    if failure.model:
        about.append(f"on {escape.code_span(failure.model)}")
    if about:
        what += f" ({' '.join(about)})"
    if failure.file:
        what += f" in {file_link(failure.file, failure.line, source_url)}"
    if failure.detail:
        what += f": {escape.inline(failure.detail)}"
    if not failure.error.strip():
        return f"- {what}"
    block = escape.code_block(failure.error).replace("\n", "\n  ")
    return f"- {what}\n\n  {block}"


def render_failures(report: StageReport) -> str:
    if not report.failures:
        return ""
    items = "\n".join(render_failure(f, report.source_url) for f in report.failures)
    return f"#### {wording.WHAT_FAILED}\n\n{items}"


def render_advice_item(advice: Advice) -> str:
    icon = f"{_LEVEL_ICONS['warning']} " if advice.level == "warning" else ""
    parts = [f"- {icon}{escape.inline(advice.text)}"]
    if advice.link is not None:
        parts[0] += f" {escape.link(advice.link.label, advice.link.url)}"
    if advice.command:
        parts.append("  " + escape.code_block(advice.command).replace("\n", "\n  "))
    return "\n\n".join(parts)


def render_advice(report: StageReport) -> str:
    if not report.advice:
        return ""
    return f"#### {wording.WHAT_TO_DO}\n\n" + "\n".join(render_advice_item(a) for a in report.advice)


def render_facts(report: StageReport) -> str:
    """Key/value facts as a list (no table, so no empty header row); ``+`` keeps it apart from the lists
    before it (GitHub joins adjacent lists that share a bullet)."""
    if not report.facts:
        return ""
    return "\n".join(f"+ **{escape.inline(key)}**: {render_cell(value)}" for key, value in report.facts)


def render_annotation(annotation: Annotation, source_url: str | None = None) -> str:
    where = ""
    if annotation.file:
        where = " " + file_link(annotation.file, annotation.line, source_url)
    title = f" **{escape.inline(annotation.title)}**:" if annotation.title else ""
    return f"* {_LEVEL_ICONS[annotation.level]}{where}{title} {escape.inline(annotation.message)}"


def shown_annotations(report: StageReport) -> tuple[Annotation, ...]:
    """Annotations the markdown lists: errors are already under "What failed" when it is there."""
    return tuple(a for a in report.annotations if not (report.failures and a.level == "error"))


def render_annotations(report: StageReport) -> str:
    return "\n".join(render_annotation(a, report.source_url) for a in shown_annotations(report))


def render_section(section: Section) -> str:
    """A section as a table and/or fenced text; collapsed ones go inside ``<details>``."""
    parts: list[str] = []
    if section.headers or section.rows:
        parts.append(render_table(section.headers, section.rows))
    if section.text.strip():
        parts.append(escape.code_block(section.text))
    body = "\n\n".join(parts) if parts else "_Nothing to show._"
    if section.collapsed:
        return f"<details><summary>{escape.html_text(section.title)}</summary>\n\n{body}\n\n</details>"
    return f"#### {escape.inline(section.title)}\n\n{body}"


def render_footer(report: StageReport) -> str:
    parts = []
    if report.duration_s is not None:
        parts.append(wording.FINISHED_IN.format(duration=format_duration(report.duration_s)))
    if report.run_url:
        parts.append(escape.link(wording.VIEW_THE_RUN, report.run_url))
    return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


def head_blocks(report: StageReport) -> list[str]:
    """The blocks before the sections, in the one order: verdict, what failed, what to do, warnings, facts."""
    blocks = [
        render_heading(report),
        render_failures(report),
        render_advice(report),
        render_annotations(report),
        render_facts(report),
    ]
    return [block for block in blocks if block]


def report_blocks(report: StageReport) -> list[str]:
    """The non-empty markdown blocks of one report, in order; PR comments split between them."""
    blocks = head_blocks(report)
    blocks.extend(render_section(section) for section in report.sections)
    footer = render_footer(report)
    return [*blocks, footer] if footer else blocks


def render_markdown(report: StageReport) -> str:
    """The whole report as one markdown document (the step summary)."""
    return "\n\n".join(report_blocks(report)) + "\n"
