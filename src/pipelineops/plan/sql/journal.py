"""SQL of the DEPLOY_STATE journal, the deploy lock and published manifests.

Schema version 1. ``migrations`` returns idempotent DDL; every later version appends statements, never
edits old ones. Values are passed as escaped literals: the journal is written with statements a person
can read in ``--dry-run`` and paste into a worksheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pipelineops.plan.sql.common import ident, lit, schema_ref, ts_lit
from pipelineops.plan.sql.dialect import Dialect

SCHEMA_VERSION = 1
STATE = "DEPLOY_STATE"
LOCK = "DEPLOY_LOCK"
MANIFESTS = "DEPLOY_MANIFESTS"

STATE_COLUMNS: tuple[str, ...] = (
    "deploy_id",
    "environment",
    "kind",
    "step",
    "status",
    "git_sha",
    "actor",
    "run_url",
    "colour_from",
    "colour_to",
    "started_at",
    "finished_at",
    "elapsed_ms",
    "manifest_digest",
    "reason",
    "detail",
    "error",
)
_TIMESTAMPS = {"started_at", "finished_at"}


def table(database: str, schema: str, name: str, dialect: Dialect) -> str:
    return f"{schema_ref(database, schema, dialect)}.{ident(name, dialect)}"


def migrations(database: str, schema: str, dialect: Dialect) -> tuple[str, ...]:
    ts = dialect.timestamp_tz
    text = "VARCHAR"
    cols = ", ".join(
        f"{c} {ts if c in _TIMESTAMPS else ('BIGINT' if c == 'elapsed_ms' else text)}" for c in STATE_COLUMNS
    )
    return (
        f"CREATE SCHEMA IF NOT EXISTS {schema_ref(database, schema, dialect)}",
        f"CREATE TABLE IF NOT EXISTS {table(database, schema, STATE, dialect)} ({cols})",
        f"CREATE TABLE IF NOT EXISTS {table(database, schema, LOCK, dialect)} "
        f"(environment {text}, deploy_id {text}, holder {text}, run_url {text}, acquired_at {ts})",
        f"CREATE TABLE IF NOT EXISTS {table(database, schema, MANIFESTS, dialect)} "
        f"(environment {text}, deploy_id {text}, colour {text}, digest {text}, published_at {ts}, "
        f"part INTEGER, parts INTEGER, manifest {text})",
    )


def _value(column: str, value: object, dialect: Dialect) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return ts_lit(value, dialect)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return lit(str(value), dialect)


def insert_state(database: str, schema: str, row: Mapping[str, object], dialect: Dialect) -> str:
    unknown = set(row) - set(STATE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown DEPLOY_STATE columns: {sorted(unknown)}")
    cols = [c for c in STATE_COLUMNS if c in row]
    values = ", ".join(_value(c, row[c], dialect) for c in cols)
    return f"INSERT INTO {table(database, schema, STATE, dialect)} ({', '.join(cols)}) VALUES ({values})"


def select_state(database: str, schema: str, environment: str, dialect: Dialect, *, limit: int = 5000) -> str:
    """The newest ``limit`` journal rows of an environment, oldest first (journal order)."""
    cols = ", ".join(STATE_COLUMNS)
    return (
        f"SELECT {cols} FROM (SELECT {cols}, coalesce(finished_at, started_at) AS at_ "
        f"FROM {table(database, schema, STATE, dialect)} WHERE environment = {lit(environment, dialect)} "
        f"ORDER BY at_ DESC, started_at DESC LIMIT {int(limit)}) AS newest ORDER BY at_, started_at"
    )


# --- lock: one row per environment, taken by compare-and-set ---------------------------------------


def ensure_lock_row(database: str, schema: str, environment: str, dialect: Dialect) -> str:
    t = table(database, schema, LOCK, dialect)
    env = lit(environment, dialect)
    return (
        f"INSERT INTO {t} (environment, deploy_id, holder, run_url, acquired_at) "
        f"SELECT {env}, NULL, NULL, NULL, NULL WHERE NOT EXISTS "
        f"(SELECT 1 FROM {t} WHERE environment = {env})"
    )


def take_lock(
    database: str,
    schema: str,
    environment: str,
    *,
    deploy_id: str,
    holder: str,
    run_url: str,
    now: datetime,
    dialect: Dialect,
) -> str:
    """Compare-and-set: takes the lock only when free or already held by this same deploy (a re-run).

    The caller owns the lock exactly when the statement updates at least one row: the row count is the
    proof (concurrent UPDATEs of one table are serialised by Snowflake's table lock and each sees the
    other's committed row: docs.snowflake.com/en/sql-reference/transactions, "Resource locking"). The
    condition spans *every* lock row of the environment: Snowflake does not enforce primary keys
    (docs.snowflake.com/en/sql-reference/constraints-overview), so two first runs racing through
    ``ensure_lock_row`` can leave two rows, and a free duplicate must not let a second holder in.
    """
    t = table(database, schema, LOCK, dialect)
    env = lit(environment, dialect)
    me = lit(deploy_id, dialect)
    return (
        f"UPDATE {t} SET deploy_id = {me}, holder = {lit(holder, dialect)}, "
        f"run_url = {lit(run_url, dialect)}, acquired_at = {ts_lit(now, dialect)} "
        f"WHERE environment = {env} "
        f"AND NOT EXISTS (SELECT 1 FROM {t} WHERE environment = {env} "
        f"AND deploy_id IS NOT NULL AND deploy_id <> {me})"
    )


def release_lock(
    database: str, schema: str, environment: str, deploy_id: str | None, dialect: Dialect
) -> str:
    """Release the lock held by ``deploy_id`` (or whoever holds it when None: --force-unlock)."""
    t = table(database, schema, LOCK, dialect)
    held = "" if deploy_id is None else f" AND deploy_id = {lit(deploy_id, dialect)}"
    return (
        f"UPDATE {t} SET deploy_id = NULL, holder = NULL, run_url = NULL, acquired_at = NULL "
        f"WHERE environment = {lit(environment, dialect)}{held}"
    )


def select_lock(database: str, schema: str, environment: str, dialect: Dialect) -> str:
    """The lock row of the environment; a held row first when racing first runs left a duplicate."""
    return (
        f"SELECT deploy_id, holder, run_url, acquired_at FROM {table(database, schema, LOCK, dialect)} "
        f"WHERE environment = {lit(environment, dialect)} ORDER BY deploy_id NULLS LAST LIMIT 1"
    )


# --- manifests -------------------------------------------------------------------------------------


def insert_manifest(
    database: str,
    schema: str,
    *,
    environment: str,
    deploy_id: str,
    colour: str,
    digest: str,
    published_at: datetime,
    manifest: str,
    dialect: Dialect,
    part: int = 1,
    parts: int = 1,
) -> str:
    """One part of a published manifest (``manifest`` is that part's text: see ``journal.manifest_parts``)."""
    values: Sequence[str] = (
        lit(environment, dialect),
        lit(deploy_id, dialect),
        lit(colour, dialect),
        lit(digest, dialect),
        ts_lit(published_at, dialect),
        str(int(part)),
        str(int(parts)),
        lit(manifest, dialect),
    )
    return (
        f"INSERT INTO {table(database, schema, MANIFESTS, dialect)} "
        f"(environment, deploy_id, colour, digest, published_at, part, parts, manifest) VALUES ({', '.join(values)})"
    )


def delete_manifest(database: str, schema: str, environment: str, deploy_id: str, dialect: Dialect) -> str:
    """The parts an earlier run of the same deploy stored (a resumed deploy publishes again)."""
    return (
        f"DELETE FROM {table(database, schema, MANIFESTS, dialect)} "
        f"WHERE environment = {lit(environment, dialect)} AND deploy_id = {lit(deploy_id, dialect)}"
    )


def latest_manifest(database: str, schema: str, environment: str, dialect: Dialect) -> str:
    """Every part of the environment's most recently published manifest, in order."""
    t = table(database, schema, MANIFESTS, dialect)
    env = lit(environment, dialect)
    return (
        f"SELECT deploy_id, colour, digest, published_at, part, parts, manifest FROM {t} "
        f"WHERE environment = {env} AND deploy_id = (SELECT deploy_id FROM {t} WHERE environment = {env} "
        "ORDER BY published_at DESC LIMIT 1) ORDER BY part"
    )


def manifest_of(database: str, schema: str, environment: str, deploy_id: str, dialect: Dialect) -> str:
    """Every part of the manifest deploy ``deploy_id`` published, in order."""
    t = table(database, schema, MANIFESTS, dialect)
    return (
        f"SELECT deploy_id, colour, digest, published_at, part, parts, manifest FROM {t} "
        f"WHERE environment = {lit(environment, dialect)} AND deploy_id = {lit(deploy_id, dialect)} "
        "ORDER BY part"
    )
