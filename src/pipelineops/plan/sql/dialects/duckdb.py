"""The local engine's SQL (DuckDB + DuckLake): everything in which it differs from other engines.

Identifiers keep their case (DuckDB compares them case-insensitively even when quoted), a backslash in a
literal is plain text, catalog reads go through ``information_schema`` and ``duckdb_views()``, and PR schemas'
creation times come from the DuckLake catalog's own metadata. DDL is transactional, so a cutover re-points
every view in one transaction; there is no zero-copy clone (a copy is ``CREATE TABLE … AS SELECT``), no schema
swap and no grants. Time travel reads DuckLake snapshots: ``AT (VERSION => n)`` or ``AT (TIMESTAMP => ts)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.common import Relation, ident, lit
from pipelineops.plan.sql.dialect import Dialect, PointKind, SnapshotCopy

if TYPE_CHECKING:
    from pipelineops.plan.sql.time_travel import PointInTime


class DuckLakeSnapshots(SnapshotCopy):
    def restore(self, table: Relation, point: PointInTime, aside: Relation) -> tuple[str, ...]:
        """Keep the current rows aside, then refill the table from the past version.

        The past rows are read into a session-local temp table first: inside a DuckLake transaction, a
        ``DELETE`` also hides those rows from ``AT (VERSION => …)`` reads of the same table.
        """
        d = DUCKDB
        temp = ident(f"pipelineops_restore_{aside.name}", d)
        return (
            f"CREATE TEMP TABLE {temp} AS SELECT * FROM {table.sql(d)} {point.clause(d)}",
            f"CREATE TABLE {aside.sql(d)} AS SELECT * FROM {table.sql(d)}",
            f"DELETE FROM {table.sql(d)}",
            f"INSERT INTO {table.sql(d)} SELECT * FROM {temp}",
            f"DROP TABLE {temp}",
        )

    def latest_snapshot(self, database: str) -> str:
        db = lit(check_identifier(database, field="database"), DUCKDB)
        return f"SELECT max(snapshot_id) AS v FROM ducklake_snapshots({db})"


class DuckDBDialect(Dialect):
    name = "duckdb"
    sqlglot = "duckdb"
    cutover = "transactional-ddl"
    transactional_ddl = True
    time_travel = DuckLakeSnapshots()
    point_kinds: frozenset[PointKind] = frozenset({"version", "timestamp"})
    has_grants = False
    zero_copy_clone = False

    def fold(self, name: str) -> str:
        return name

    def quote(self, name: str) -> str:
        return f'"{self.fold(name)}"'

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    @property
    def timestamp_tz(self) -> str:
        return "TIMESTAMPTZ"

    def _in_catalog(self, column: str, database: str) -> str:
        return f"{column} = {lit(check_identifier(database, field='database'), self)}"

    def _in_schema(self, column: str, schema: str) -> str:
        return f"upper({column}) = {lit(check_identifier(schema, field='schema').upper(), self)}"

    def list_schemas(self, database: str) -> str:
        return (
            "SELECT schema_name AS name FROM information_schema.schemata "
            f"WHERE {self._in_catalog('catalog_name', database)} ORDER BY 1"
        )

    def list_relations(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'VIEW' ELSE 'TABLE' END AS kind "
            "FROM information_schema.tables "
            f"WHERE {self._in_catalog('table_catalog', database)} AND {self._in_schema('table_schema', schema)} "
            "ORDER BY 1"
        )

    def view_definitions(self, database: str, schema: str) -> str:
        return (
            "SELECT view_name AS name, sql FROM duckdb_views() "
            f"WHERE {self._in_catalog('database_name', database)} AND {self._in_schema('schema_name', schema)} "
            "ORDER BY 1"
        )

    def columns_of(self, relation: Relation) -> str:
        schema = self._in_schema("table_schema", relation.schema)
        table = lit(check_identifier(relation.name, field="relation").upper(), self)
        return (
            "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
            f"WHERE {self._in_catalog('table_catalog', relation.database)} AND {schema} "
            f"AND upper(table_name) = {table} ORDER BY ordinal_position"
        )

    def columns_of_schema(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS relation, column_name AS name, data_type AS type FROM "
            f"information_schema.columns WHERE {self._in_catalog('table_catalog', database)} "
            f"AND {self._in_schema('table_schema', schema)} ORDER BY table_name, ordinal_position"
        )

    def list_schemas_created(self, database: str, like: str) -> str:
        """The DuckLake catalog's own metadata, where each live schema row names the snapshot that created it."""
        meta = ident(f"__ducklake_metadata_{check_identifier(database, field='database')}", self)
        return (
            "SELECT s.schema_name AS name, sn.snapshot_time AS created_on "
            f"FROM {meta}.ducklake_schema AS s "
            f"JOIN {meta}.ducklake_snapshot AS sn ON sn.snapshot_id = s.begin_snapshot "
            f"WHERE s.end_snapshot IS NULL AND upper(s.schema_name) LIKE {lit(like.upper(), self)} "
            "ORDER BY 1"
        )

    def copy_table(self, target: Relation, source: Relation, *, transient: bool) -> str:
        """A ``CREATE TABLE … AS SELECT`` copy (no zero-copy clone; one kind of table)."""
        return f"CREATE OR REPLACE TABLE {target.sql(self)} AS SELECT * FROM {source.sql(self)}"

    def view_options(self, *, copy_grants: bool) -> str:
        return ""

    def swap_schema(self, database: str, schema: str, other: str) -> str:
        raise ValueError("the local engine has no schema swap (its cutover is transactional DDL)")

    def clone_schema(self, database: str, schema: str, source: str) -> str:
        raise ValueError("the local engine has no schema clone")

    def statement_timeout(self, seconds: int) -> Sequence[str]:
        return ()

    def statement_timeout_reset(self) -> Sequence[str]:
        return ()


DUCKDB = DuckDBDialect()
