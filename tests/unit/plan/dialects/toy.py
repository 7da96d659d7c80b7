"""A toy third engine: everything a new warehouse adds to PipelineOps, in one module.

It folds unquoted names to lower case and quotes with double quotes, reads its catalog through
``information_schema``, has transactional DDL but no grants and no zero-copy clone, and keeps snapshots it
can read ``AT (VERSION => n)``. Its SQL is whatever DuckDB's parser accepts, so its static check
(``check_sql``) parses every statement with DuckDB and checks that every quoted identifier is folded.
The contract test (``test_contract.py``) registers it next to the real engines and renders every plan with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import duckdb

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.common import Relation, ident, lit, schema_ref
from pipelineops.plan.sql.dialect import Dialect, PointKind, SnapshotCopy
from pipelineops.plan.sql.time_travel import PointInTime


class ToySnapshots(SnapshotCopy):
    def restore(self, table: Relation, point: PointInTime, aside: Relation) -> tuple[str, ...]:
        return (
            f"CREATE TABLE {aside.sql(TOY)} AS SELECT * FROM {table.sql(TOY)}",
            f"DELETE FROM {table.sql(TOY)}",
            f"INSERT INTO {table.sql(TOY)} SELECT * FROM {table.sql(TOY)} {point.clause(TOY)}",
        )

    def latest_snapshot(self, database: str) -> str:
        return f"SELECT max(version) AS v FROM toy_snapshots({lit(check_identifier(database, field='database'), TOY)})"


class ToyDialect(Dialect):
    name = "toy"
    sqlglot = "postgres"
    cutover = "transactional-ddl"
    transactional_ddl = True
    time_travel = ToySnapshots()
    point_kinds: frozenset[PointKind] = frozenset({"version", "timestamp"})
    has_grants = False
    zero_copy_clone = False

    def fold(self, name: str) -> str:
        return name.lower()

    def quote(self, name: str) -> str:
        return f'"{self.fold(name)}"'

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    @property
    def timestamp_tz(self) -> str:
        return "TIMESTAMP WITH TIME ZONE"

    def _where(self, database: str, schema: str) -> str:
        db = lit(check_identifier(database, field="database"), self)
        return f"table_catalog = {db} AND lower(table_schema) = {lit(self.fold(check_identifier(schema, field='schema')), self)}"

    def list_schemas(self, database: str) -> str:
        db = lit(check_identifier(database, field="database"), self)
        return f"SELECT schema_name AS name FROM information_schema.schemata WHERE catalog_name = {db}"

    def list_relations(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'VIEW' ELSE 'TABLE' END AS kind "
            f"FROM information_schema.tables WHERE {self._where(database, schema)}"
        )

    def view_definitions(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS name, view_definition AS sql FROM information_schema.views "
            f"WHERE {self._where(database, schema)}"
        )

    def columns_of(self, relation: Relation) -> str:
        name = lit(self.fold(check_identifier(relation.name, field="relation")), self)
        return (
            "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
            f"WHERE {self._where(relation.database, relation.schema)} AND table_name = {name} "
            "ORDER BY ordinal_position"
        )

    def columns_of_schema(self, database: str, schema: str) -> str:
        return (
            "SELECT table_name AS relation, column_name AS name, data_type AS type FROM information_schema.columns "
            f"WHERE {self._where(database, schema)} ORDER BY table_name, ordinal_position"
        )

    def list_schemas_created(self, database: str, like: str) -> str:
        db = lit(check_identifier(database, field="database"), self)
        return (
            "SELECT schema_name AS name, created_at AS created_on FROM toy_schemas "
            f"WHERE catalog_name = {db} AND schema_name LIKE {lit(like.lower(), self)}"
        )

    def copy_table(self, target: Relation, source: Relation, *, transient: bool) -> str:
        return f"CREATE OR REPLACE TABLE {target.sql(self)} AS SELECT * FROM {source.sql(self)}"

    def view_options(self, *, copy_grants: bool) -> str:
        return ""

    def swap_schema(self, database: str, schema: str, other: str) -> str:
        raise ValueError(f"toy has no schema swap ({schema_ref(database, schema, self)})")

    def clone_schema(self, database: str, schema: str, source: str) -> str:
        raise ValueError(f"toy has no schema clone ({ident(source, self)})")

    def statement_timeout(self, seconds: int) -> Sequence[str]:
        return (f"SET statement_timeout = {int(seconds) * 1000}",)

    def statement_timeout_reset(self) -> Sequence[str]:
        return ("RESET statement_timeout",)


TOY = ToyDialect()

_QUOTED = re.compile(r'"([^"]*)"')


def check_sql(text: str) -> None:
    """The toy's static check: one statement DuckDB's parser accepts, every quoted identifier lower case."""
    assert len(duckdb.extract_statements(text)) == 1, text
    for name in _QUOTED.findall(text):
        assert name == name.lower(), f"{name!r} is not folded to lower case in {text}"
