"""Sticky PR comment bodies: one per chunk, each under GitHub's comment limit. Pure.

GitHub rejects a comment body over 65,536 characters (65,535 bytes for some bodies). We measure the
UTF-8 size (never smaller than the character count) against a budget well below both, and split between
blocks (report headings, facts, sections) so that tables and code fences are never cut in half.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from pipelineops.report import wording
from pipelineops.report.escape import link
from pipelineops.report.markdown import head_blocks, render_footer, render_section
from pipelineops.report.model import Section, StageReport

logger = logging.getLogger(__name__)

GITHUB_COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 60_000
_MARKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SEPARATOR = "\n\n"


def size(text: str) -> int:
    """UTF-8 bytes: at least the character count, so one bound covers both of GitHub's limits."""
    return len(text.encode("utf-8"))


def _check_marker(marker: str) -> None:
    if not _MARKER_NAME.fullmatch(marker):
        raise ValueError(f"marker must match {_MARKER_NAME.pattern}, got {marker!r}")


def marker_line(marker: str, part: int, total: int) -> str:
    _check_marker(marker)
    return f"<!-- pipelineops:{marker} part={part}/{total} -->"


def parse_marker(body: str, marker: str) -> tuple[int, int] | None:
    """``(part, total)`` when the body starts with our hidden marker line, else None."""
    _check_marker(marker)
    found = re.match(rf"<!-- pipelineops:{re.escape(marker)} part=(\d+)/(\d+) -->", body.lstrip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def _truncation_note(run_url: str | None) -> str:
    where = link("the run", run_url) if run_url else "the run log"
    return wording.TRUNCATED.format(where=where)


def _cut(text: str, room: int) -> str:
    return text.encode("utf-8")[: max(room, 0)].decode("utf-8", errors="ignore")


def fit_text(block: str, room: int, note: str) -> str:
    """Whole lines while they fit, then the note; a single giant line is cut at a character boundary."""
    if size(block) <= room:
        return block
    room -= size(note) + 1
    lines = block.split("\n")
    kept = used = 0
    while kept < len(lines) and used + size(lines[kept]) + 1 <= room:
        used += size(lines[kept]) + 1
        kept += 1
    head = lines[:kept] if kept else [_cut(lines[0], room)]
    return "\n".join([*head, note])


def _largest(count: int, fits: Callable[[int], bool]) -> int:
    """Largest n in [0, count] with fits(n); fits(0) is assumed."""
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def fit_section(section: Section, room: int, note: str) -> str:
    """The section as rendered if it fits; else as many rows, then as much text, as fit, plus the note."""
    rendered = render_section(section)
    if size(rendered) <= room:
        return rendered
    room -= size(note) + len(_SEPARATOR)
    rows = _largest(
        len(section.rows),
        lambda n: size(render_section(replace(section, rows=section.rows[:n], text=""))) <= room,
    )
    kept = replace(section, rows=section.rows[:rows], text="")
    if rows == len(section.rows):
        chars = _largest(
            len(section.text),
            lambda n: size(render_section(replace(kept, text=section.text[:n]))) <= room,
        )
        text = section.text[:chars]
        if "\n" in text:  # end on a whole line
            text = text[: text.rindex("\n")]
        kept = replace(kept, text=text)
    body = render_section(kept)
    if size(body) > room:
        body = _cut(body, room)
    return body + _SEPARATOR + note


def _blocks(report: StageReport, room: int) -> list[str]:
    note = _truncation_note(report.run_url)
    blocks = [fit_text(block, room, note) for block in head_blocks(report)]
    blocks.extend(fit_section(section, room, note) for section in report.sections)
    footer = render_footer(report)
    if footer:
        blocks.append(fit_text(footer, room, note))
    return blocks


def _continued(part: int, total: int) -> str:
    return f"_Continued in the next comment ({part + 1}/{total})._"


def render_pr_comment(
    reports: Sequence[StageReport], *, marker: str, header: str | None = None, budget: int = COMMENT_BUDGET
) -> list[str]:
    """Comment bodies, each starting with ``<!-- pipelineops:<marker> part=<i>/<n> -->``."""
    _check_marker(marker)
    prefix = [header.strip()] if header and header.strip() else []
    reserve = size(
        _SEPARATOR.join([marker_line(marker, 99_999, 99_999), *prefix, _continued(99_998, 99_999)])
    )
    room = budget - reserve - 2 * len(_SEPARATOR)
    if room < 1_000:
        raise ValueError(f"comment budget {budget} is too small for marker and header")
    blocks = [block for report in reports for block in _blocks(report, room)] or ["_No stages reported._"]
    chunks: list[list[str]] = [[]]
    used = 0
    for block in blocks:
        cost = size(block) + len(_SEPARATOR)
        if chunks[-1] and used + cost > room:
            chunks.append([])
            used = 0
        chunks[-1].append(block)
        used += cost
    total = len(chunks)
    bodies = []
    for part, chunk in enumerate(chunks, start=1):
        tail = [_continued(part, total)] if part < total else []
        bodies.append(_SEPARATOR.join([marker_line(marker, part, total), *prefix, *chunk, *tail]) + "\n")
    logger.debug("PR comment %s: %d part(s), %s bytes", marker, total, [size(body) for body in bodies])
    return bodies
