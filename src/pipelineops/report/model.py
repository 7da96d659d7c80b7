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
class Section:
    """A titled block: a table (``headers`` + ``rows``) and/or a text block, optionally collapsed."""

    title: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    text: str = ""
    collapsed: bool = False


@dataclass(frozen=True)
class StageReport:
    """What a stage did, with an explicit conclusion, for humans (markdown/terminal) and machines (JSON)."""

    stage: str
    conclusion: Conclusion
    title: str
    facts: tuple[tuple[str, str], ...] = ()
    sections: tuple[Section, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()
    duration_s: float | None = None
    run_url: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


def format_duration(seconds: float) -> str:
    """``41.2 s``, ``3 min 5 s``, ``1 h 2 min``: short and unambiguous in one line."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
