"""Point-in-time recovery SQL for both engines.

DuckLake: ``AT (VERSION => n)`` or ``AT (TIMESTAMP => ts)``; the current data is copied aside and the table
refilled from the past version inside one transaction (DuckDB DDL and DML are transactional).
Snowflake: ``CLONE … AT (TIMESTAMP|OFFSET) / BEFORE (STATEMENT)`` into a side table, verified, then
``ALTER TABLE … SWAP WITH …`` (atomic; the replaced data stays in the side table). Where ``CREATE OR
REPLACE`` restarted the table's history, the dropped version comes back with ``UNDROP`` after the current
table is renamed out of the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.common import Dialect, Relation, ident, lit, ts_lit

PointKind = Literal["version", "timestamp", "offset", "statement"]


@dataclass(frozen=True)
class PointInTime:
    kind: PointKind
    version: int | None = None
    timestamp: datetime | None = None
    offset_s: int | None = None
    statement: str | None = None

    def clause(self, dialect: Dialect) -> str:
        if self.kind == "version":
            if dialect != "duckdb":
                raise ValueError("a DuckLake version is a local-engine point in time")
            return f"AT (VERSION => {int(self.version or 0)})"
        if self.kind == "timestamp":
            assert self.timestamp is not None
            return f"AT (TIMESTAMP => {ts_lit(self.timestamp, dialect)})"
        if dialect != "snowflake":
            raise ValueError(f"{self.kind} points in time exist only on Snowflake")
        if self.kind == "offset":
            return f"AT (OFFSET => {int(self.offset_s or 0)})"
        assert self.statement is not None
        return f"BEFORE (STATEMENT => {lit(self.statement, dialect)})"


def latest_snapshot(database: str) -> str:
    """The current DuckLake snapshot id (column ``v``): the version a local restore can go back to."""
    return f"SELECT max(snapshot_id) AS v FROM ducklake_snapshots({lit(check_identifier(database, field='database'), 'duckdb')})"


def sibling(table: Relation, suffix: str) -> Relation:
    return Relation(table.database, table.schema, f"{table.name}__{suffix}")


def count_at(table: Relation, point: PointInTime, dialect: Dialect) -> str:
    """Rows of the table at the point in time (fails if that history is gone)."""
    return f"SELECT COUNT(*) AS n FROM {table.sql(dialect)} {point.clause(dialect)}"


def restore_local(table: Relation, point: PointInTime, aside: Relation) -> tuple[str, ...]:
    """DuckLake: keep the current rows aside, then refill the table from the past version.

    The past rows are read into a session-local temp table first: inside a DuckLake transaction, a
    ``DELETE`` also hides those rows from ``AT (VERSION => …)`` reads of the same table.
    """
    d: Dialect = "duckdb"
    temp = ident(f"pipelineops_restore_{aside.name}", d)
    return (
        f"CREATE TEMP TABLE {temp} AS SELECT * FROM {table.sql(d)} {point.clause(d)}",
        f"CREATE TABLE {aside.sql(d)} AS SELECT * FROM {table.sql(d)}",
        f"DELETE FROM {table.sql(d)}",
        f"INSERT INTO {table.sql(d)} SELECT * FROM {temp}",
        f"DROP TABLE {temp}",
    )


def clone_at(side: Relation, table: Relation, point: PointInTime, *, transient: bool = False) -> str:
    """A side table holding ``table`` as of ``point``. The clone of a transient table must be transient
    (error 002120 otherwise: docs.snowflake.com/en/user-guide/tables-temp-transient); pass its kind."""
    d: Dialect = "snowflake"
    kind = "TRANSIENT " if transient else ""
    return f"CREATE {kind}TABLE {side.sql(d)} CLONE {table.sql(d)} {point.clause(d)}"


def swap_tables(table: Relation, side: Relation) -> str:
    d: Dialect = "snowflake"
    return f"ALTER TABLE {table.sql(d)} SWAP WITH {side.sql(d)}"


def rename_table(table: Relation, new_name: str) -> str:
    d: Dialect = "snowflake"
    return f"ALTER TABLE {table.sql(d)} RENAME TO {Relation(table.database, table.schema, new_name).sql(d)}"


def undrop_table(table: Relation) -> str:
    return f"UNDROP TABLE {table.sql('snowflake')}"


def show_table(table: Relation) -> str:
    """Kind (TRANSIENT/TABLE), retention_time and created_on of one table, without a warehouse."""
    d: Dialect = "snowflake"
    return (
        f"SHOW TABLES LIKE {lit(table.name.upper(), d)} IN SCHEMA "
        f"{ident(table.database, d)}.{ident(table.schema, d)}"
    )


def query_history(database: str, query_id: str) -> str:
    """The type and start time of one query (columns ``query_id``, ``query_type``, ``start_time``), to check
    a ``BEFORE (STATEMENT => …)`` point before using it. ``INFORMATION_SCHEMA.QUERY_HISTORY`` covers the
    last 7 days (https://docs.snowflake.com/en/sql-reference/functions/query_history) and runs on the
    session's warehouse."""
    db = ident(database, "snowflake", field="database")
    return (
        f"SELECT query_id, query_type, start_time FROM TABLE({db}.information_schema.query_history("
        "END_TIME_RANGE_START => DATEADD('day', -14, CURRENT_TIMESTAMP()), RESULT_LIMIT => 10000)) "
        f"WHERE query_id = {lit(query_id, 'snowflake')}"
    )
