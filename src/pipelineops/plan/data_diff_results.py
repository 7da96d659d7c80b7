"""The numbers of a pull request's data diff, pure: the rows the queries of ``plan/sql/data_diff.py`` return
(column names in any case), read into one ``ModelDiff`` per modified model for ``report/data_diff.py``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pipelineops.plan.data_diff import SchemaDiff
from pipelineops.plan.sql.data_diff import ProfileColumn

log = logging.getLogger(__name__)

Status = Literal["compared", "profile-only", "new-model", "skipped"]


@dataclass(frozen=True)
class ColumnChange:
    """Matched rows whose value of ``name`` changed; examples are (key, before, after) as text."""

    name: str
    changed: int
    matched: int
    sensitive: bool = False
    examples: tuple[tuple[str, str, str], ...] = ()

    @property
    def pct(self) -> float:
        return round(self.changed * 100.0 / self.matched, 2) if self.matched else 0.0


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    null_pct: float
    distinct: int
    min: str | None = None
    max: str | None = None
    sensitive: bool = False


@dataclass(frozen=True)
class KeyCounts:
    added: int
    removed: int
    matched: int
    changed: int
    per_column: tuple[int, ...]

    @property
    def unchanged(self) -> int:
        return self.matched - self.changed


def _value(row: Mapping[str, object], name: str) -> object:
    for key, value in row.items():
        if key.lower() == name:
            return value
    return None


def _int(value: object) -> int:
    """A count as the engine returns it (int, Decimal, or a float such as ``1.0`` from a SUM)."""
    return int(Decimal(str(value))) if value is not None else 0


def key_counts(row: Mapping[str, object], compared: int) -> KeyCounts:
    """The key diff query's one row (column names in any case; SUM over no rows is NULL → 0)."""
    return KeyCounts(
        added=_int(_value(row, "added")),
        removed=_int(_value(row, "removed")),
        matched=_int(_value(row, "matched")),
        changed=_int(_value(row, "changed")),
        per_column=tuple(_int(_value(row, f"c_{i}")) for i in range(1, compared + 1)),
    )


def row_counts(row: Mapping[str, object]) -> tuple[int, int]:
    """(PR rows, production rows) from the row count query."""
    return _int(_value(row, "pr_rows")), _int(_value(row, "prod_rows"))


def text(value: object, limit: int = 80) -> str:
    """A warehouse value as short text (``NULL`` for null); escaping is the renderer's job."""
    shown = "NULL" if value is None else str(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def key_text(row: Mapping[str, object], width: int) -> str:
    return ", ".join(text(_value(row, f"k_{i}")) for i in range(1, width + 1))


def profiles(
    row: Mapping[str, object], columns: Sequence[ProfileColumn], sensitive: frozenset[str] = frozenset()
) -> tuple[ColumnProfile, ...]:
    """The profile query's one row, per column; ``sensitive`` (upper-cased names) marks columns whose
    MIN/MAX were left out because they are sensitive."""
    rows = _int(_value(row, "n"))
    out = []
    for i, c in enumerate(columns, 1):
        non_null = _int(_value(row, f"nn_{i}"))
        out.append(
            ColumnProfile(
                c.name,
                null_pct=round((rows - non_null) * 100.0 / rows, 2) if rows else 0.0,
                distinct=_int(_value(row, f"d_{i}")),
                min=text(_value(row, f"min_{i}")) if c.extremes else None,
                max=text(_value(row, f"max_{i}")) if c.extremes else None,
                sensitive=c.name.upper() in sensitive,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ModelDiff:
    """What one modified model's PR relation does to production's data."""

    name: str
    unique_id: str
    status: Status
    pr_relation: str
    prod_relation: str = ""
    schema: SchemaDiff | None = None
    pr_rows: int | None = None
    prod_rows: int | None = None
    key: tuple[str, ...] = ()
    key_source: str = ""
    sample: str = "every row"
    counts: KeyCounts | None = None
    columns: tuple[ColumnChange, ...] = ()
    added_keys: tuple[str, ...] = ()
    removed_keys: tuple[str, ...] = ()
    profile_pr: tuple[ColumnProfile, ...] = ()
    profile_prod: tuple[ColumnProfile, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def row_delta(self) -> int | None:
        if self.pr_rows is None or self.prod_rows is None:
            return None
        return self.pr_rows - self.prod_rows
