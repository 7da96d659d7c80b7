"""The one result type every stage command returns, rendered by the rest of ``pipelineops.report``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger(__name__)

Conclusion = Literal["success", "failure", "skipped", "neutral", "cancelled"]
Level = Literal["notice", "warning", "error"]

CONCLUSIONS: tuple[Conclusion, ...] = ("success", "failure", "skipped", "neutral", "cancelled")


@dataclass(frozen=True)
class Annotation:
    """One message pinned to the run (and to a file/line when known)."""

    level: Level
    message: str
    title: str | None = None
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Link:
    """A link to follow (a run, a file in the repository, a workflow): rendered as a link, never as code."""

    label: str
    url: str


#: a fact value or a table cell: plain text (always escaped when rendered) or a link
Cell = str | Link


@dataclass(frozen=True)
class Failure:
    """One thing that failed, for the "What failed" block: a short name, where it is, the error as printed.

    ``file`` is repository-relative (``dbt/models/...``), so it links into the repository and pins an
    annotation on the diff; ``error`` is shown verbatim in a code block."""

    name: str
    error: str = ""
    kind: str = ""
    model: str = ""
    file: str | None = None
    line: int | None = None
    detail: str = ""  # one line of prose after the name (the error, when it is a sentence, not output)


@dataclass(frozen=True)
class Advice:
    """One thing to do, computed from what happened: a sentence, then a command to paste and/or a link
    (a workflow to run, a run to open). ``level`` ``warning`` marks what the reader must not miss."""

    text: str
    command: str = ""
    link: Link | None = None
    level: Level = "notice"


@dataclass(frozen=True)
class Section:
    """A titled block: a table (``headers`` + ``rows``) and/or a text block, optionally collapsed."""

    title: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    text: str = ""
    collapsed: bool = False


@dataclass(frozen=True)
class StageReport:
    """What a stage did, with an explicit conclusion, for humans (markdown/terminal) and machines (JSON).

    Every output shows it in one order: the verdict (``conclusion`` + ``title``), what failed
    (``failures``), what to do (``advice``), warnings, the facts, then the ``sections`` (details).
    ``source_url`` is the base of file links (``https://github.com/<repo>/blob/<sha>/``)."""

    stage: str
    conclusion: Conclusion
    title: str
    facts: tuple[tuple[str, Cell], ...] = ()
    sections: tuple[Section, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    duration_s: float | None = None
    run_url: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)
    failures: tuple[Failure, ...] = ()
    advice: tuple[Advice, ...] = ()
    source_url: str | None = None


def cell_text(value: Cell) -> str:
    """A cell as plain text: a link as ``label (url)``."""
    return f"{value.label} ({value.url})" if isinstance(value, Link) else value


def format_age(seconds: float) -> str:
    """``just now``, ``12 min ago``, ``3 h ago``, ``2 d ago``: how long ago, at a glance."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def format_duration(seconds: float) -> str:
    """``41.2 s``, ``3 min 5 s``, ``1 h 2 min``: short and unambiguous in one line."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
