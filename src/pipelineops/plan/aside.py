"""Tables a time-travel restore set aside, and when they may go. Pure.

A restore never destroys data: the rows it replaced stay in ``<table>__REPLACED_<id>`` (local engine) or
``<table>__RESTORED_<id>`` / ``<table>__CURRENT_<id>`` (Snowflake; ``<table>__UNDROPPED_<id>`` when a failed
UNDROP route was undone), where ``<id>`` is the restore's UTC
time ``YYYYMMDDTHHMMSS``. They are dropped only when the user confirms that restore, or when
``rollback.keep_aside_hours`` have passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: The ``<id>`` of a set-aside table: the UTC time the restore started.
STAMP = "%Y%m%dT%H%M%S"
_ASIDE = re.compile(
    r"(?P<table>.+)__(?P<tag>REPLACED|RESTORED|CURRENT|UNDROPPED)_(?P<id>\d{8}T\d{6})\Z", re.IGNORECASE
)


@dataclass(frozen=True)
class Aside:
    schema: str
    name: str
    table: str
    restore_id: str
    at: datetime


def parse(schema: str, name: str) -> Aside | None:
    m = _ASIDE.match(name)
    if not m:
        return None
    try:
        at = datetime.strptime(m.group("id"), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return Aside(schema, name, m.group("table"), m.group("id"), at)


def to_drop(
    tables: Iterable[Aside], *, now: datetime, keep_hours: int, confirm: str | None
) -> list[tuple[Aside, str]]:
    """The set-aside tables to drop, each with why: confirmed by the user, or past the retention."""
    out = []
    for t in sorted(tables, key=lambda t: (t.at, t.schema, t.name)):
        if confirm is not None:
            if t.restore_id == confirm:
                out.append((t, f"restore {confirm} confirmed"))
        elif now - t.at >= timedelta(hours=keep_hours):
            out.append(
                (t, f"set aside {int((now - t.at).total_seconds() // 3600)} h ago (keep {keep_hours} h)")
            )
    return out
