"""Grant statements: what a shadow schema copies from its consumer schema, and what verify-grants reads.
Every function here needs a dialect with grants (``Dialect.has_grants``; the local engine has none). The
text is Snowflake's, the only engine with grants so far.

Sources: https://docs.snowflake.com/en/sql-reference/sql/grant-privilege (privileges on a schema, ON FUTURE,
WITH GRANT OPTION), https://docs.snowflake.com/en/sql-reference/sql/show-grants (SHOW GRANTS ON / TO ROLE,
SHOW FUTURE GRANTS IN SCHEMA), https://docs.snowflake.com/en/sql-reference/sql/create-clone (CREATE SCHEMA …
CLONE), https://docs.snowflake.com/en/sql-reference/sql/alter-schema (ENABLE MANAGED ACCESS).
"""

from __future__ import annotations

import re

from pipelineops.plan.identifiers import check_identifier
from pipelineops.plan.sql.common import Relation, ident, lit, needs_grants, schema_ref
from pipelineops.plan.sql.dialect import Dialect

#: a privilege word as SHOW GRANTS reports it: ``USAGE``, ``MONITOR``, ``CREATE VIEW``, ``ADD SEARCH OPTIMIZATION``
PRIVILEGE = re.compile(r"[A-Z][A-Z]*(?: [A-Z]+)*\Z")
#: object types a future grant in a schema may name (SHOW FUTURE GRANTS ``grant_on``), and their plural
FUTURE_OBJECTS = {
    "TABLE": "TABLES",
    "VIEW": "VIEWS",
    "MATERIALIZED_VIEW": "MATERIALIZED VIEWS",
    "DYNAMIC_TABLE": "DYNAMIC TABLES",
    "SEQUENCE": "SEQUENCES",
    "FUNCTION": "FUNCTIONS",
    "PROCEDURE": "PROCEDURES",
    "STAGE": "STAGES",
}


def _privilege(privilege: str) -> str:
    if not PRIVILEGE.match(privilege):
        raise ValueError(f"not a privilege: {privilege!r}")
    return privilege


def clone_schema(database: str, schema: str, source: str, dialect: Dialect) -> str:
    """``schema`` replaced by a zero-copy clone of ``source``: its objects, with the grants on them (a clone
    of a schema does not inherit the grants on the source schema itself)."""
    return dialect.clone_schema(database, schema, source)


def grant_on_schema(
    database: str, schema: str, privilege: str, role: str, dialect: Dialect, *, grant_option: bool = False
) -> str:
    needs_grants("GRANT … ON SCHEMA", dialect)
    option = " WITH GRANT OPTION" if grant_option else ""
    return (
        f"GRANT {_privilege(privilege)} ON SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}{option}"
    )


def grant_on_future(
    database: str,
    schema: str,
    privilege: str,
    object_type: str,
    role: str,
    dialect: Dialect,
    *,
    grant_option: bool = False,
) -> str:
    """A future grant: ``privilege`` on every ``object_type`` created in ``schema`` from now on."""
    needs_grants("GRANT … ON FUTURE", dialect)
    plural = FUTURE_OBJECTS[object_type]
    option = " WITH GRANT OPTION" if grant_option else ""
    return (
        f"GRANT {_privilege(privilege)} ON FUTURE {plural} IN SCHEMA {schema_ref(database, schema, dialect)} "
        f"TO ROLE {ident(role, dialect, field='role')}{option}"
    )


def enable_managed_access(database: str, schema: str, dialect: Dialect) -> str:
    needs_grants("ALTER SCHEMA … ENABLE MANAGED ACCESS", dialect)
    return f"ALTER SCHEMA {schema_ref(database, schema, dialect)} ENABLE MANAGED ACCESS"


def show_future_grants_in_schema(database: str, schema: str, dialect: Dialect) -> str:
    """Columns ``privilege``, ``grant_on``, ``name``, ``grant_to``, ``grantee_name``, ``grant_option``."""
    needs_grants("SHOW FUTURE GRANTS", dialect)
    return f"SHOW FUTURE GRANTS IN SCHEMA {schema_ref(database, schema, dialect)}"


def show_schema(database: str, schema: str, dialect: Dialect) -> str:
    """The schema's ``SHOW SCHEMAS`` row (column ``options`` says ``MANAGED ACCESS``); LIKE is a pattern
    (``_`` matches any character), so callers pick the row whose ``name`` is ``schema`` exactly."""
    needs_grants("SHOW SCHEMAS", dialect)
    name = check_identifier(schema, field="schema").upper()
    return f"SHOW SCHEMAS LIKE {lit(name, dialect)} IN DATABASE {ident(database, dialect, field='database')}"


def show_grants_to_role(role: str, dialect: Dialect) -> str:
    """Every privilege granted to ``role``: columns ``privilege``, ``granted_on``, ``name``, ``grantee_name``."""
    needs_grants("SHOW GRANTS TO ROLE", dialect)
    return f"SHOW GRANTS TO ROLE {ident(role, dialect, field='role')}"


def object_name(relation: Relation) -> str:
    """A relation as SHOW GRANTS writes it in ``name``: ``DB.SCHEMA.NAME`` (unquoted, upper case)."""
    return ".".join(
        check_identifier(p, field="relation").upper()
        for p in (relation.database, relation.schema, relation.name)
    )
