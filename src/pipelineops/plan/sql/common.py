"""Identifiers, schemas, views and relations: the SQL every stage shares.

No other module joins SQL strings. Each function takes validated-on-entry names and returns one
statement. Where engines differ (identifier folding, literals, catalog reads, copies), the function asks
its ``Dialect`` object (``dialect.py``; one module per engine in ``dialects/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.dialect import Dialect


def ident(name: str, dialect: Dialect, *, field: str = "identifier") -> str:
    """``name`` validated, folded and quoted as the dialect writes identifiers."""
    check_identifier(name, field=field)
    return dialect.quote(name)


def lit(value: str, dialect: Dialect) -> str:
    """A string literal, escaped for the dialect."""
    return dialect.literal(value)


def ts_lit(value: datetime, dialect: Dialect) -> str:
    text = value.isoformat(sep=" ", timespec="microseconds")
    return f"CAST({lit(text, dialect)} AS {dialect.timestamp_tz})"


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
    """Schemas of a database, name in column ``name``."""
    return dialect.list_schemas(database)


def swap_schema(database: str, schema: str, other: str, dialect: Dialect) -> str:
    """The atomic metadata swap of two schemas (the ``schema-swap`` cutover); running it again swaps back."""
    return dialect.swap_schema(database, schema, other)


# --- relations -------------------------------------------------------------------------------------


def list_relations(database: str, schema: str, dialect: Dialect) -> str:
    """Tables and views of a schema: columns ``name`` and ``kind`` (TABLE or VIEW)."""
    return dialect.list_relations(database, schema)


def view_definitions(database: str, schema: str, dialect: Dialect) -> str:
    """Name and SQL text of every view in a schema (to tell which colour production reads)."""
    return dialect.view_definitions(database, schema)


def create_view(view: Relation, target: Relation, dialect: Dialect, *, copy_grants: bool = True) -> str:
    """A consumer view over one colour's relation; ``copy_grants`` keeps the grants of the view it
    replaces where the engine has grants (``Dialect.view_options``)."""
    options = dialect.view_options(copy_grants=copy_grants)
    return f"CREATE OR REPLACE VIEW {view.sql(dialect)}{options} AS SELECT * FROM {target.sql(dialect)}"


def drop_view(view: Relation, dialect: Dialect) -> str:
    return f"DROP VIEW IF EXISTS {view.sql(dialect)}"


def drop_table(table: Relation, dialect: Dialect) -> str:
    return f"DROP TABLE IF EXISTS {table.sql(dialect)}"


def row_count(relation: Relation, dialect: Dialect) -> str:
    return f"SELECT COUNT(*) AS n FROM {relation.sql(dialect)}"


def columns_of(relation: Relation, dialect: Dialect) -> str:
    """Column names and data types of a relation (columns ``name``, ``type``)."""
    return dialect.columns_of(relation)


def copy_table(target: Relation, source: Relation, dialect: Dialect, *, transient: bool = False) -> str:
    """A full copy of ``source`` as ``target`` (a zero-copy clone where the engine has one); ``transient``
    is the kind of ``source`` (``Dialect.copy_table``)."""
    return dialect.copy_table(target, source, transient=transient)


def in_list(values: Sequence[str], dialect: Dialect) -> str:
    return "(" + ", ".join(lit(v, dialect) for v in values) + ")"


# --- PR schemas ------------------------------------------------------------------------------------


def list_schemas_created(database: str, like: str, dialect: Dialect) -> str:
    """Schemas whose name matches the LIKE pattern ``like``, with their creation time (columns ``name``
    and ``created_on``). A LIKE may match more than asked (``_`` is any character, case may fold), so
    callers re-check names exactly."""
    return dialect.list_schemas_created(database, like)


# --- blue/green shadow schemas and reader grants -----------------------------------------------------


def replace_schema(database: str, schema: str, dialect: Dialect) -> str:
    """A fresh, empty schema in place of any old one (the Snowflake shadow schema ``<SCHEMA>__NEXT``)."""
    return f"CREATE OR REPLACE SCHEMA {schema_ref(database, schema, dialect)}"


def needs_grants(what: str, dialect: Dialect) -> None:
    """ValueError unless the dialect has roles and grants."""
    if not dialect.has_grants:
        raise ValueError(f"{what} needs an engine with grants ({dialect.name} has none)")


def grant_schema_usage(database: str, schema: str, role: str, dialect: Dialect) -> str:
    """Let ``role`` use ``schema`` (without USAGE a role sees none of the schema's objects)."""
    needs_grants("GRANT USAGE ON SCHEMA", dialect)
    return (
        f"GRANT USAGE ON SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}"
    )


def grant_select_on_all_views(database: str, schema: str, role: str, dialect: Dialect) -> str:
    """Let ``role`` read every view that exists in ``schema`` now (not views created later)."""
    needs_grants("GRANT SELECT ON ALL VIEWS IN SCHEMA", dialect)
    return (
        f"GRANT SELECT ON ALL VIEWS IN SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}"
    )


def show_grants_on_schema(database: str, schema: str, dialect: Dialect) -> str:
    """The privileges granted on ``schema``: columns ``privilege``, ``granted_to``, ``grantee_name``…"""
    needs_grants("SHOW GRANTS ON SCHEMA", dialect)
    return f"SHOW GRANTS ON SCHEMA {schema_ref(database, schema, dialect)}"


# --- environment parity ----------------------------------------------------------------------------


def columns_of_schema(database: str, schema: str, dialect: Dialect) -> str:
    """Every column of every relation in ``schema``, in order: columns ``relation``, ``name``, ``type``.

    One query per schema instead of one per relation (a parity check reads whole consumer schemas).
    """
    return dialect.columns_of_schema(database, schema)
