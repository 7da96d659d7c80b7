"""Snowflake's SQL: everything in which it differs from other engines.

Snowflake folds unquoted names to upper case, so names are upper-cased before quoting; a backslash inside a
literal is an escape. Catalog reads use ``SHOW`` where no warehouse is needed. DDL auto-commits, so a cutover
prepares views in a shadow schema cloned from the consumer schema and publishes them with one atomic
``ALTER SCHEMA … SWAP WITH`` per schema. Copies are zero-copy ``CLONE``s; a clone of a transient table must be
transient too (error 002120, docs.snowflake.com/en/user-guide/tables-temp-transient). ``COPY GRANTS`` keeps
the grants of a replaced view (docs.snowflake.com/en/sql-reference/sql/create-view). Time travel clones the
past into a side table and swaps it in; ``UNDROP`` brings back a version ``CREATE OR REPLACE`` dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.common import Relation, ident, lit, schema_ref
from pipelineops.plan.sql.dialect import CloneSwap, Dialect, PointKind

if TYPE_CHECKING:
    from pipelineops.plan.sql.time_travel import PointInTime


class SnowflakeTimeTravel(CloneSwap):
    def clone_at(self, side: Relation, table: Relation, point: PointInTime, *, transient: bool) -> str:
        kind = "TRANSIENT " if transient else ""
        d = SNOWFLAKE
        return f"CREATE {kind}TABLE {side.sql(d)} CLONE {table.sql(d)} {point.clause(d)}"

    def swap_tables(self, table: Relation, side: Relation) -> str:
        return f"ALTER TABLE {table.sql(SNOWFLAKE)} SWAP WITH {side.sql(SNOWFLAKE)}"

    def rename_table(self, table: Relation, new_name: str) -> str:
        renamed = Relation(table.database, table.schema, new_name)
        return f"ALTER TABLE {table.sql(SNOWFLAKE)} RENAME TO {renamed.sql(SNOWFLAKE)}"

    def undrop_table(self, table: Relation) -> str:
        return f"UNDROP TABLE {table.sql(SNOWFLAKE)}"

    def show_table(self, table: Relation) -> str:
        """``SHOW TABLES`` needs no warehouse; columns ``kind``, ``retention_time``, ``created_on``."""
        d = SNOWFLAKE
        return (
            f"SHOW TABLES LIKE {lit(table.name.upper(), d)} IN SCHEMA "
            f"{ident(table.database, d)}.{ident(table.schema, d)}"
        )

    def query_history(self, database: str, query_id: str) -> str:
        """``INFORMATION_SCHEMA.QUERY_HISTORY`` covers the last 7 days
        (https://docs.snowflake.com/en/sql-reference/functions/query_history) and runs on the session's
        warehouse."""
        db = ident(database, SNOWFLAKE, field="database")
        return (
            f"SELECT query_id, query_type, start_time FROM TABLE({db}.information_schema.query_history("
            "END_TIME_RANGE_START => DATEADD('day', -14, CURRENT_TIMESTAMP()), RESULT_LIMIT => 10000)) "
            f"WHERE query_id = {lit(query_id, SNOWFLAKE)}"
        )


class SnowflakeDialect(Dialect):
    name = "snowflake"
    sqlglot = "snowflake"
    cutover = "schema-swap"
    transactional_ddl = False
    time_travel = SnowflakeTimeTravel()
    point_kinds: frozenset[PointKind] = frozenset({"timestamp", "offset", "statement"})
    has_grants = True
    zero_copy_clone = True

    def fold(self, name: str) -> str:
        return name.upper()

    def quote(self, name: str) -> str:
        return f'"{self.fold(name)}"'

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''").replace("\\", "\\\\") + "'"

    @property
    def timestamp_tz(self) -> str:
        return "TIMESTAMP_TZ"

    def _schema_is(self, schema: str) -> str:
        return f"table_schema = {lit(check_identifier(schema, field='schema').upper(), self)}"

    def list_schemas(self, database: str) -> str:
        """``SHOW`` needs no warehouse."""
        return f"SHOW TERSE SCHEMAS IN DATABASE {ident(database, self, field='database')}"

    def list_relations(self, database: str, schema: str) -> str:
        return f"SHOW TERSE OBJECTS IN SCHEMA {schema_ref(database, schema, self)}"

    def view_definitions(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS name, view_definition AS sql FROM "
            f"{ident(database, self, field='database')}.information_schema.views "
            f"WHERE {self._schema_is(schema)} ORDER BY 1"
        )

    def columns_of(self, relation: Relation) -> str:
        db = ident(relation.database, self, field="database")
        schema = lit(check_identifier(relation.schema, field="schema").upper(), self)
        table = lit(check_identifier(relation.name, field="relation").upper(), self)
        return (
            f"SELECT column_name AS name, data_type AS type FROM {db}.information_schema.columns "
            f"WHERE upper(table_schema) = {schema} AND upper(table_name) = {table} ORDER BY ordinal_position"
        )

    def columns_of_schema(self, database: str, schema: str) -> str:
        db = ident(check_identifier(database, field="database"), self, field="database")
        return (
            "SELECT table_name AS relation, column_name AS name, data_type AS type FROM "
            f"{db}.information_schema.columns WHERE {self._schema_is(schema)} ORDER BY table_name, ordinal_position"
        )

    def list_schemas_created(self, database: str, like: str) -> str:
        """``SHOW SCHEMAS`` (no warehouse needed); its LIKE is case-insensitive and ``_`` matches any
        character."""
        return f"SHOW SCHEMAS LIKE {lit(like, self)} IN DATABASE {ident(database, self, field='database')}"

    def copy_table(self, target: Relation, source: Relation, *, transient: bool) -> str:
        kind = "TRANSIENT " if transient else ""
        return f"CREATE OR REPLACE {kind}TABLE {target.sql(self)} CLONE {source.sql(self)}"

    def view_options(self, *, copy_grants: bool) -> str:
        return " COPY GRANTS" if copy_grants else ""

    def swap_schema(self, database: str, schema: str, other: str) -> str:
        return (
            f"ALTER SCHEMA {schema_ref(database, schema, self)} SWAP WITH {schema_ref(database, other, self)}"
        )

    def clone_schema(self, database: str, schema: str, source: str) -> str:
        return f"CREATE OR REPLACE SCHEMA {schema_ref(database, schema, self)} CLONE {schema_ref(database, source, self)}"

    def statement_timeout(self, seconds: int) -> Sequence[str]:
        return (f"ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = {int(seconds)}",)

    def statement_timeout_reset(self) -> Sequence[str]:
        return ("ALTER SESSION UNSET STATEMENT_TIMEOUT_IN_SECONDS",)


SNOWFLAKE = SnowflakeDialect()
