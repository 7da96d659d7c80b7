"""Identifiers, schemas, views and relations: the SQL every stage shares.

No other module joins SQL strings. Each function takes validated-on-entry names and returns one
statement. Snowflake folds unquoted names to upper case, so names are upper-cased before quoting there;
DuckDB compares identifiers case-insensitively even when quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pipelineops.plan.identifiers import check_identifier

Dialect = Literal["duckdb", "snowflake"]


def ident(name: str, dialect: Dialect, *, field: str = "identifier") -> str:
    """``name`` validated and double-quoted (upper-cased for Snowflake)."""
    check_identifier(name, field=field)
    return f'"{name.upper()}"' if dialect == "snowflake" else f'"{name}"'


def lit(value: str, dialect: Dialect) -> str:
    """A string literal. Snowflake treats backslash as an escape inside quotes; DuckDB does not."""
    escaped = value.replace("'", "''")
    if dialect == "snowflake":
        escaped = escaped.replace("\\", "\\\\")
    return f"'{escaped}'"


def ts_lit(value: datetime, dialect: Dialect) -> str:
    text = value.isoformat(sep=" ", timespec="microseconds")
    kind = "TIMESTAMPTZ" if dialect == "duckdb" else "TIMESTAMP_TZ"
    return f"CAST({lit(text, dialect)} AS {kind})"


@dataclass(frozen=True)
class Relation:
    database: str
    schema: str
    name: str

    def sql(self, dialect: Dialect) -> str:
        return ".".join(
            (
                ident(self.database, dialect, field="database"),
                ident(self.schema, dialect, field="schema"),
                ident(self.name, dialect, field="relation"),
            )
        )


def schema_ref(database: str, schema: str, dialect: Dialect) -> str:
    return f"{ident(database, dialect, field='database')}.{ident(schema, dialect, field='schema')}"


# --- schemas ---------------------------------------------------------------------------------------


def create_schema(database: str, schema: str, dialect: Dialect) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {schema_ref(database, schema, dialect)}"


def drop_schema(database: str, schema: str, dialect: Dialect) -> str:
    return f"DROP SCHEMA IF EXISTS {schema_ref(database, schema, dialect)} CASCADE"


def list_schemas(database: str, dialect: Dialect) -> str:
    """Schemas of a database; Snowflake uses SHOW (no warehouse needed), name in column ``name``."""
    if dialect == "snowflake":
        return f"SHOW TERSE SCHEMAS IN DATABASE {ident(database, dialect, field='database')}"
    return (
        "SELECT schema_name AS name FROM information_schema.schemata "
        f"WHERE catalog_name = {lit(check_identifier(database, field='database'), dialect)} ORDER BY 1"
    )


def swap_schema(database: str, schema: str, other: str, dialect: Dialect) -> str:
    """Snowflake's atomic metadata swap of two schemas; running it again swaps back."""
    if dialect != "snowflake":
        raise ValueError("ALTER SCHEMA ... SWAP WITH exists only on Snowflake")
    return f"ALTER SCHEMA {schema_ref(database, schema, dialect)} SWAP WITH {schema_ref(database, other, dialect)}"


# --- relations -------------------------------------------------------------------------------------


def list_relations(database: str, schema: str, dialect: Dialect) -> str:
    """Tables and views of a schema: columns ``name`` and ``kind`` (TABLE or VIEW)."""
    if dialect == "snowflake":
        return f"SHOW TERSE OBJECTS IN SCHEMA {schema_ref(database, schema, dialect)}"
    return (
        "SELECT table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'VIEW' ELSE 'TABLE' END AS kind "
        "FROM information_schema.tables "
        f"WHERE table_catalog = {lit(check_identifier(database, field='database'), dialect)} "
        f"AND upper(table_schema) = {lit(check_identifier(schema, field='schema').upper(), dialect)} "
        "ORDER BY 1"
    )


def view_definitions(database: str, schema: str, dialect: Dialect) -> str:
    """Name and SQL text of every view in a schema (to tell which colour production reads)."""
    if dialect == "snowflake":
        return (
            "SELECT table_name AS name, view_definition AS sql FROM "
            f"{ident(database, dialect, field='database')}.information_schema.views "
            f"WHERE table_schema = {lit(check_identifier(schema, field='schema').upper(), dialect)} ORDER BY 1"
        )
    return (
        "SELECT view_name AS name, sql FROM duckdb_views() "
        f"WHERE database_name = {lit(check_identifier(database, field='database'), dialect)} "
        f"AND upper(schema_name) = {lit(check_identifier(schema, field='schema').upper(), dialect)} "
        "ORDER BY 1"
    )


def create_view(view: Relation, target: Relation, dialect: Dialect, *, copy_grants: bool = True) -> str:
    """A consumer view over one colour's relation. On Snowflake ``COPY GRANTS`` keeps the grants of the view
    it replaces; without it a new view inherits the schema's future grants instead
    (https://docs.snowflake.com/en/sql-reference/sql/create-view, COPY GRANTS)."""
    copy = " COPY GRANTS" if dialect == "snowflake" and copy_grants else ""
    return f"CREATE OR REPLACE VIEW {view.sql(dialect)}{copy} AS SELECT * FROM {target.sql(dialect)}"


def drop_view(view: Relation, dialect: Dialect) -> str:
    return f"DROP VIEW IF EXISTS {view.sql(dialect)}"


def drop_table(table: Relation, dialect: Dialect) -> str:
    return f"DROP TABLE IF EXISTS {table.sql(dialect)}"


def row_count(relation: Relation, dialect: Dialect) -> str:
    return f"SELECT COUNT(*) AS n FROM {relation.sql(dialect)}"


def columns_of(relation: Relation, dialect: Dialect) -> str:
    """Column names and data types of a relation (columns ``name``, ``type``)."""
    db = ident(relation.database, dialect, field="database")
    where = (
        f"upper(table_schema) = {lit(check_identifier(relation.schema, field='schema').upper(), dialect)} "
        f"AND upper(table_name) = {lit(check_identifier(relation.name, field='relation').upper(), dialect)}"
    )
    if dialect == "snowflake":
        return (
            f"SELECT column_name AS name, data_type AS type FROM {db}.information_schema.columns "
            f"WHERE {where} ORDER BY ordinal_position"
        )
    return (
        "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
        f"WHERE table_catalog = {lit(relation.database, dialect)} AND {where} ORDER BY ordinal_position"
    )


def copy_table(target: Relation, source: Relation, dialect: Dialect, *, transient: bool = False) -> str:
    """A full copy of ``source`` as ``target``: a zero-copy CLONE on Snowflake, CTAS on DuckDB.

    A clone of a transient table must be transient too (Snowflake error 002120, "Transient object cannot be
    cloned to a permanent object": docs.snowflake.com/en/user-guide/tables-temp-transient); pass the kind of
    ``source``. DuckDB has one kind of table.
    """
    if dialect == "snowflake":
        kind = "TRANSIENT " if transient else ""
        return f"CREATE OR REPLACE {kind}TABLE {target.sql(dialect)} CLONE {source.sql(dialect)}"
    return f"CREATE OR REPLACE TABLE {target.sql(dialect)} AS SELECT * FROM {source.sql(dialect)}"


def in_list(values: Sequence[str], dialect: Dialect) -> str:
    return "(" + ", ".join(lit(v, dialect) for v in values) + ")"


# --- PR schemas ------------------------------------------------------------------------------------


def list_schemas_created(database: str, like: str, dialect: Dialect) -> str:
    """Schemas whose name matches the LIKE pattern ``like``, with their creation time.

    Columns ``name`` and ``created_on``. Snowflake: ``SHOW SCHEMAS`` (no warehouse needed); its LIKE is
    case-insensitive and ``_`` matches any character, so callers re-check names exactly. DuckDB (DuckLake):
    the catalog's own metadata, where each live schema row names the snapshot that created it.
    """
    if dialect == "snowflake":
        return (
            f"SHOW SCHEMAS LIKE {lit(like, dialect)} IN DATABASE {ident(database, dialect, field='database')}"
        )
    meta = ident(f"__ducklake_metadata_{check_identifier(database, field='database')}", dialect)
    return (
        "SELECT s.schema_name AS name, sn.snapshot_time AS created_on "
        f"FROM {meta}.ducklake_schema AS s "
        f"JOIN {meta}.ducklake_snapshot AS sn ON sn.snapshot_id = s.begin_snapshot "
        f"WHERE s.end_snapshot IS NULL AND upper(s.schema_name) LIKE {lit(like.upper(), dialect)} "
        "ORDER BY 1"
    )


# --- blue/green shadow schemas and reader grants -----------------------------------------------------


def replace_schema(database: str, schema: str, dialect: Dialect) -> str:
    """A fresh, empty schema in place of any old one (the Snowflake shadow schema ``<SCHEMA>__NEXT``)."""
    return f"CREATE OR REPLACE SCHEMA {schema_ref(database, schema, dialect)}"


def _snowflake_only(what: str, dialect: Dialect) -> None:
    if dialect != "snowflake":
        raise ValueError(f"{what} exists only on Snowflake (the local engine has no grants)")


def grant_schema_usage(database: str, schema: str, role: str, dialect: Dialect) -> str:
    """Let ``role`` use ``schema`` (without USAGE a role sees none of the schema's objects)."""
    _snowflake_only("GRANT USAGE ON SCHEMA", dialect)
    return (
        f"GRANT USAGE ON SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}"
    )


def grant_select_on_all_views(database: str, schema: str, role: str, dialect: Dialect) -> str:
    """Let ``role`` read every view that exists in ``schema`` now (not views created later)."""
    _snowflake_only("GRANT SELECT ON ALL VIEWS IN SCHEMA", dialect)
    return (
        f"GRANT SELECT ON ALL VIEWS IN SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}"
    )


def show_grants_on_schema(database: str, schema: str, dialect: Dialect) -> str:
    """The privileges granted on ``schema``: columns ``privilege``, ``granted_to``, ``grantee_name``…"""
    _snowflake_only("SHOW GRANTS ON SCHEMA", dialect)
    return f"SHOW GRANTS ON SCHEMA {schema_ref(database, schema, dialect)}"


# --- environment parity ----------------------------------------------------------------------------


def columns_of_schema(database: str, schema: str, dialect: Dialect) -> str:
    """Every column of every relation in ``schema``, in order: columns ``relation``, ``name``, ``type``.

    One query per schema instead of one per relation (a parity check reads whole consumer schemas).
    """
    db = check_identifier(database, field="database")
    upper = check_identifier(schema, field="schema").upper()
    select = "SELECT table_name AS relation, column_name AS name, data_type AS type FROM "
    order = " ORDER BY table_name, ordinal_position"
    if dialect == "snowflake":
        return (
            f"{select}{ident(db, dialect, field='database')}.information_schema.columns "
            f"WHERE table_schema = {lit(upper, dialect)}{order}"
        )
    return (
        f"{select}information_schema.columns WHERE table_catalog = {lit(db, dialect)} "
        f"AND upper(table_schema) = {lit(upper, dialect)}{order}"
    )
