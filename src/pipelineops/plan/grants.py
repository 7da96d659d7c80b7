"""Snowflake grants around a cutover. Pure: SHOW rows in, statements or findings out.

A schema SWAP exchanges everything *on* the two schemas — the privileges granted on them, their future
grants, managed access — along with their contents (https://docs.snowflake.com/en/sql-reference/sql/alter-schema,
SWAP WITH). The shadow schema ``<SCHEMA>__NEXT`` is therefore prepared as the consumer schema's twin before
it is swapped in:

* ``CREATE OR REPLACE SCHEMA <SCHEMA>__NEXT CLONE <SCHEMA>`` brings the consumer views with the grants on
  them (a schema clone's child objects keep their privileges, the clone of the container does not:
  https://docs.snowflake.com/en/user-guide/object-clone, "Access control privileges for cloned objects");
* ``copy_statements`` re-issues, on the shadow schema, what was granted on the consumer schema itself
  (``SHOW GRANTS ON SCHEMA``), its future grants (``SHOW FUTURE GRANTS IN SCHEMA``) and managed access
  (``SHOW SCHEMAS``, ``options``) — read when the cutover runs, right after the clone and before the new
  views are created, so a future grant applies to them as it would in the consumer schema;
* the reader roles (``environments.<env>.reader_roles``) get USAGE and SELECT on every view explicitly, because
  ``CREATE OR REPLACE VIEW … COPY GRANTS`` does not inherit future grants
  (https://docs.snowflake.com/en/sql-reference/sql/create-view, COPY GRANTS).

``grant_gaps`` is verify-grants: USAGE on each consumer schema and SELECT on each published view, per
reader role (OWNERSHIP counts as both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelineops.plan.sql import Dialect, Relation
from pipelineops.plan.sql import grants as gsql

Rows = Sequence[Mapping[str, object]]
_ROLE_TYPES = ("ROLE",)


def _text(row: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        if row.get(key) is not None:
            return str(row[key]).strip()
    return ""


def _yes(value: str) -> bool:
    return value.lower() in ("true", "yes", "y", "1")


@dataclass(frozen=True)
class Copied:
    statements: tuple[str, ...]
    skipped: tuple[str, ...]  # grants that cannot be re-issued as such (say why, never drop silently)


def copy_statements(
    *,
    database: str,
    source: str,
    shadow: str,
    on_schema: Rows,
    future: Rows,
    schema_rows: Rows,
    dialect: Dialect,
) -> Copied:
    """The statements that give ``shadow`` what ``source`` holds on itself (see the module docstring).

    ``on_schema``: ``SHOW GRANTS ON SCHEMA <source>``; ``future``: ``SHOW FUTURE GRANTS IN SCHEMA <source>``;
    ``schema_rows``: ``SHOW SCHEMAS LIKE '<source>'``. OWNERSHIP is not copied (the shadow schema is the
    deployer's, like the consumer schema it replaces), nor grants to shares or database roles (listed in
    ``skipped``).
    """
    out: list[str] = []
    skipped: list[str] = []
    managed = any(
        _text(r, "name").upper() == source.upper() and "MANAGED ACCESS" in _text(r, "options").upper()
        for r in schema_rows
    )
    if managed:
        out.append(gsql.enable_managed_access(database, shadow, dialect))
    for r in on_schema:
        privilege, role = _text(r, "privilege").upper(), _text(r, "grantee_name")
        if privilege == "OWNERSHIP":
            continue
        to = _text(r, "granted_to").upper()
        if to not in _ROLE_TYPES or not _plain(role) or not gsql.PRIVILEGE.match(privilege):
            skipped.append(f"{privilege} on {source} to {to} {role}")
            continue
        stmt = gsql.grant_on_schema(
            database, shadow, privilege, role, dialect, grant_option=_yes(_text(r, "grant_option"))
        )
        out.append(stmt)
    for r in future:
        privilege, role = _text(r, "privilege").upper(), _text(r, "grantee_name")
        kind = _text(r, "grant_on").upper().replace(" ", "_")
        to = _text(r, "grant_to", "granted_to").upper()
        if (
            to not in _ROLE_TYPES
            or kind not in gsql.FUTURE_OBJECTS
            or not _plain(role)
            or not gsql.PRIVILEGE.match(privilege)
        ):
            skipped.append(f"future {privilege} on {kind or '?'} in {source} to {to} {role}")
            continue
        out.append(
            gsql.grant_on_future(
                database,
                shadow,
                privilege,
                kind,
                role,
                dialect,
                grant_option=_yes(_text(r, "grant_option")),
            )
        )
    return Copied(tuple(dict.fromkeys(out)), tuple(skipped))


def _plain(role: str) -> bool:
    """A role name that round-trips through our quoting (upper-cased): Snowflake reports an unquoted name
    upper-case; a role created quoted with lower-case letters cannot be named that way."""
    return bool(role) and role == role.upper() and role.replace("_", "").isalnum() and role.isascii()


def grant_gaps(
    *,
    schema_grants: Mapping[str, Rows],
    role_grants: Mapping[str, Rows],
    reader_roles: Sequence[str],
    views: Sequence[Relation],
) -> tuple[str, ...]:
    """What the reader roles lack after a cutover: USAGE on a consumer schema (``schema_grants``: schema →
    ``SHOW GRANTS ON SCHEMA`` rows) or SELECT on a published view (``role_grants``: role → ``SHOW GRANTS
    TO ROLE`` rows)."""
    gaps: list[str] = []
    for schema, rows in schema_grants.items():
        holders = {
            _text(r, "grantee_name").upper()
            for r in rows
            if _text(r, "granted_to").upper() == "ROLE"
            and _text(r, "privilege").upper() in ("USAGE", "OWNERSHIP")
        }
        gaps += [f"{role} has no USAGE on {schema}" for role in reader_roles if role.upper() not in holders]
    by_role = {role.upper(): rows for role, rows in role_grants.items()}
    for role in reader_roles:
        readable = {
            _text(r, "name").upper().replace('"', "")
            for r in by_role.get(role.upper(), ())
            if _text(r, "granted_on").upper() == "VIEW"
            and _text(r, "privilege").upper() in ("SELECT", "OWNERSHIP")
        }
        gaps += [
            f"{role} has no SELECT on {v.schema}.{v.name}"
            for v in views
            if gsql.object_name(v) not in readable
        ]
    return tuple(gaps)
