"""Point-in-time recovery SQL that every engine writes alike: the point in time and the reads of it.

Each engine's route (``Dialect.time_travel``) holds the rest, in its module under ``dialects/``: DuckLake
copies the current rows aside and refills the table from the past snapshot inside one transaction;
Snowflake clones the past into a side table, verifies it, then swaps it in (``UNDROP`` where ``CREATE OR
REPLACE`` restarted the table's history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelineops.plan.sql.common import Relation, lit, ts_lit
from pipelineops.plan.sql.dialect import Dialect, PointKind


@dataclass(frozen=True)
class PointInTime:
    kind: PointKind
    version: int | None = None
    timestamp: datetime | None = None
    offset_s: int | None = None
    statement: str | None = None

    def clause(self, dialect: Dialect) -> str:
        """``AT (…)`` / ``BEFORE (…)``; ValueError where the dialect cannot read this kind of point."""
        if self.kind not in dialect.point_kinds:
            raise ValueError(f"a {self.kind} point in time does not exist on {dialect.name}")
        if self.kind == "version":
            return f"AT (VERSION => {int(self.version or 0)})"
        if self.kind == "timestamp":
            assert self.timestamp is not None
            return f"AT (TIMESTAMP => {ts_lit(self.timestamp, dialect)})"
        if self.kind == "offset":
            return f"AT (OFFSET => {int(self.offset_s or 0)})"
        assert self.statement is not None
        return f"BEFORE (STATEMENT => {lit(self.statement, dialect)})"


def sibling(table: Relation, suffix: str) -> Relation:
    return Relation(table.database, table.schema, f"{table.name}__{suffix}")


def count_at(table: Relation, point: PointInTime, dialect: Dialect) -> str:
    """Rows of the table at the point in time (fails if that history is gone)."""
    return f"SELECT COUNT(*) AS n FROM {table.sql(dialect)} {point.clause(dialect)}"
