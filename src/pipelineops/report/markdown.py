"""GitHub-flavoured markdown for the step summary and PR comments. Pure functions."""

from __future__ import annotations

import html
import logging
import re

from pipelineops.report.model import Annotation, Conclusion, Section, StageReport, format_duration

logger = logging.getLogger(__name__)

_ICONS: dict[Conclusion, str] = {
    "success": "✅",
    "failure": "❌",
    "skipped": "⏭️",
    "neutral": "\N{INFORMATION SOURCE}\ufe0f",
    "cancelled": "🚫",
}
_LEVEL_ICONS = {"notice": "\N{INFORMATION SOURCE}\ufe0f", "warning": "⚠️", "error": "❌"}
_BACKTICK_RUN = re.compile(r"`+")


def conclusion_label(conclusion: Conclusion) -> str:
    """Emoji plus word, e.g. ``✅ Success``: the word keeps it readable where emoji are not."""
    return f"{_ICONS[conclusion]} {conclusion.capitalize()}"


def escape_cell(value: str) -> str:
    """Make any string safe inside one table cell: ``|`` escaped, line breaks as ``<br>``."""
    flat = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return flat.replace("|", "\\|")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _link(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def render_table(headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """A GFM table; short rows are padded so every row has as many cells as the widest one."""
    width = max([len(headers), *(len(row) for row in rows)])
    head = tuple(headers) + ("",) * (width - len(headers))
    lines = ["| " + " | ".join(escape_cell(cell) for cell in head) + " |", "|" + " --- |" * width]
    for row in rows:
        cells = tuple(row) + ("",) * (width - len(row))
        lines.append("| " + " | ".join(escape_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def render_code(text: str) -> str:
    """A fenced block whose fence is longer than any backtick run inside the text."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def render_heading(report: StageReport) -> str:
    return f"### {conclusion_label(report.conclusion)} · {report.stage} — {_one_line(report.title)}"


def render_facts(report: StageReport) -> str:
    if not report.facts:
        return ""
    return render_table(("", ""), tuple((f"**{key}**", value) for key, value in report.facts))


def render_annotation(annotation: Annotation) -> str:
    where = ""
    if annotation.file:
        location = annotation.file if annotation.line is None else f"{annotation.file}:{annotation.line}"
        where = f" `{location}`"
    title = f" **{_one_line(annotation.title)}**:" if annotation.title else ""
    message = "  \n  ".join(annotation.message.strip().splitlines())
    return f"- {_LEVEL_ICONS[annotation.level]}{where}{title} {message}"


def render_annotations(report: StageReport) -> str:
    return "\n".join(render_annotation(annotation) for annotation in report.annotations)


def render_section(section: Section) -> str:
    """A section as a table and/or fenced text; collapsed ones go inside ``<details>``."""
    parts: list[str] = []
    if section.headers or section.rows:
        parts.append(render_table(section.headers, section.rows))
    if section.text.strip():
        parts.append(render_code(section.text))
    body = "\n\n".join(parts) if parts else "_Nothing to show._"
    if section.collapsed:
        summary = html.escape(_one_line(section.title))
        return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"
    return f"#### {_one_line(section.title)}\n\n{body}"


def render_footer(report: StageReport) -> str:
    parts = []
    if report.duration_s is not None:
        parts.append(f"Finished in {format_duration(report.duration_s)}")
    if report.run_url:
        parts.append(f"[View the run]({_link(report.run_url)})")
    return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


def report_blocks(report: StageReport) -> list[str]:
    """The non-empty markdown blocks of one report, in order; PR comments split between them."""
    blocks = [render_heading(report), render_facts(report), render_annotations(report)]
    blocks.extend(render_section(section) for section in report.sections)
    blocks.append(render_footer(report))
    return [block for block in blocks if block]


def render_markdown(report: StageReport) -> str:
    """The whole report as one markdown document (the step summary)."""
    return "\n\n".join(report_blocks(report)) + "\n"
