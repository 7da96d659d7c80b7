"""SQL of ``DEPLOY_ROW_COUNTS``: each published model's row count, recorded by every deploy (and by
``pipelineops anomaly --record``), in the journal schema next to ``DEPLOY_STATE``.

One row per model per recording: environment, deploy id (or the scheduled run's id), ``schema.model`` in
lower case, the count, when it was recorded and by what (``deploy`` | ``scheduled``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pipelineops.plan.sql.common import lit, ts_lit
from pipelineops.plan.sql.dialect import Dialect
from pipelineops.plan.sql.journal import table

ROW_COUNTS = "DEPLOY_ROW_COUNTS"
SOURCES = ("deploy", "scheduled")


def migration(database: str, schema: str, dialect: Dialect) -> str:
    ts = dialect.timestamp_tz
    return (
        f"CREATE TABLE IF NOT EXISTS {table(database, schema, ROW_COUNTS, dialect)} "
        f"(environment VARCHAR, deploy_id VARCHAR, model VARCHAR, row_count BIGINT, recorded_at {ts}, "
        "source VARCHAR)"
    )


def insert_counts(
    database: str,
    schema: str,
    *,
    environment: str,
    deploy_id: str,
    counts: Mapping[str, int],
    at: datetime,
    source: str,
    dialect: Dialect,
) -> tuple[str, ...]:
    """Replace what an earlier run of the same ``deploy_id`` recorded, then one row per model.

    Run the statements in one transaction (DML only: atomic on Snowflake too)."""
    if source not in SOURCES:
        raise ValueError(f"unknown row-count source {source!r}")
    t = table(database, schema, ROW_COUNTS, dialect)
    env, me = lit(environment, dialect), lit(deploy_id, dialect)
    delete = f"DELETE FROM {t} WHERE environment = {env} AND deploy_id = {me}"
    if not counts:
        return (delete,)
    values = ", ".join(
        f"({env}, {me}, {lit(model.lower(), dialect)}, {int(n)}, {ts_lit(at, dialect)}, {lit(source, dialect)})"
        for model, n in sorted(counts.items())
    )
    return (
        delete,
        f"INSERT INTO {t} (environment, deploy_id, model, row_count, recorded_at, source) VALUES {values}",
    )


def select_counts(
    database: str, schema: str, environment: str, dialect: Dialect, *, limit: int = 20000
) -> str:
    """The newest ``limit`` recorded counts of an environment, oldest first."""
    t = table(database, schema, ROW_COUNTS, dialect)
    cols = "deploy_id, model, row_count, recorded_at, source"
    return (
        f"SELECT {cols} FROM (SELECT {cols} FROM {t} WHERE environment = {lit(environment, dialect)} "
        f"ORDER BY recorded_at DESC LIMIT {int(limit)}) AS newest ORDER BY recorded_at, model"
    )


# --- commit times (the lead time of the delivery numbers) ---------------------------------------------

COMMITS = "DEPLOY_COMMITS"


def commits_migration(database: str, schema: str, dialect: Dialect) -> str:
    ts = dialect.timestamp_tz
    return (
        f"CREATE TABLE IF NOT EXISTS {table(database, schema, COMMITS, dialect)} "
        f"(environment VARCHAR, deploy_id VARCHAR, git_sha VARCHAR, committed_at {ts})"
    )


def insert_commit(
    database: str,
    schema: str,
    *,
    environment: str,
    deploy_id: str,
    git_sha: str,
    committed_at: datetime,
    dialect: Dialect,
) -> tuple[str, ...]:
    """The commit time of a deploy's git sha, replacing what an earlier run of the same deploy recorded."""
    t = table(database, schema, COMMITS, dialect)
    env, me = lit(environment, dialect), lit(deploy_id, dialect)
    return (
        f"DELETE FROM {t} WHERE environment = {env} AND deploy_id = {me}",
        f"INSERT INTO {t} (environment, deploy_id, git_sha, committed_at) VALUES "
        f"({env}, {me}, {lit(git_sha, dialect)}, {ts_lit(committed_at, dialect)})",
    )


def select_commits(database: str, schema: str, environment: str, dialect: Dialect) -> str:
    return (
        f"SELECT deploy_id, git_sha, committed_at FROM {table(database, schema, COMMITS, dialect)} "
        f"WHERE environment = {lit(environment, dialect)} ORDER BY committed_at"
    )
