"""SQL of DEPLOY_ROW_COUNTS: idempotent DDL, a re-run replaces its rows, the read is oldest first; the DuckDB
statements run for real in memory and the Snowflake text passes the strict static check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect, row_counts

DB, SCHEMA, ENV = "memory", "PIPELINEOPS", "prod"
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _record(con: duckdb.DuckDBPyConnection, deploy_id: str, counts: dict[str, int], at: datetime) -> None:
    for stmt in row_counts.insert_counts(
        DB,
        SCHEMA,
        environment=ENV,
        deploy_id=deploy_id,
        counts=counts,
        at=at,
        source="deploy",
        dialect=DUCKDB,
    ):
        con.execute(stmt)


def test_counts_round_trip_oldest_first_and_a_rerun_replaces_its_rows() -> None:
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{SCHEMA}"')
    for _ in range(2):  # idempotent
        con.execute(row_counts.migration(DB, SCHEMA, DUCKDB))
    _record(con, "d1", {"MARTS.B": 5, "marts.a": 10}, NOW)
    _record(con, "d2", {"marts.a": 11}, NOW + timedelta(days=1))
    _record(con, "d2", {"marts.a": 12}, NOW + timedelta(days=1))  # the re-run of d2
    _record(con, "d3", {}, NOW + timedelta(days=2))  # nothing published: nothing recorded
    rows = con.execute(row_counts.select_counts(DB, SCHEMA, ENV, DUCKDB)).fetchall()
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("d1", "marts.a", 10, "deploy"),
        ("d1", "marts.b", 5, "deploy"),
        ("d2", "marts.a", 12, "deploy"),
    ]
    assert con.execute(row_counts.select_counts(DB, SCHEMA, "dev", DUCKDB)).fetchall() == []


def test_only_known_sources_are_recorded() -> None:
    with pytest.raises(ValueError, match="unknown row-count source"):
        row_counts.insert_counts(
            DB, SCHEMA, environment=ENV, deploy_id="d", counts={}, at=NOW, source="x", dialect=DUCKDB
        )


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_statements_per_dialect(dialect: Dialect) -> None:
    ddl = row_counts.migration("lake", SCHEMA, dialect)
    assert ddl.startswith("CREATE TABLE IF NOT EXISTS ") and '"DEPLOY_ROW_COUNTS"' in ddl
    assert ("TIMESTAMPTZ" if dialect == DUCKDB else "TIMESTAMP_TZ") in ddl
    stmts = row_counts.insert_counts(
        "lake",
        SCHEMA,
        environment=ENV,
        deploy_id="o'k",
        counts={"m.a": 1},
        at=NOW,
        source="scheduled",
        dialect=dialect,
    )
    assert "'o''k'" in stmts[0] and stmts[1].startswith("INSERT INTO ")
    if dialect == SNOWFLAKE:
        from tests.sqlcheck.snowflake_check import check_snowflake_sql

        for stmt in (ddl, *stmts, row_counts.select_counts("lake", SCHEMA, ENV, dialect)):
            check_snowflake_sql(stmt)


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_commit_times_round_trip(dialect: Dialect) -> None:
    stmts = (
        row_counts.commits_migration(DB, SCHEMA, dialect),
        *row_counts.insert_commit(
            DB, SCHEMA, environment=ENV, deploy_id="d1", git_sha="abc", committed_at=NOW, dialect=dialect
        ),
        row_counts.select_commits(DB, SCHEMA, ENV, dialect),
    )
    if dialect == SNOWFLAKE:
        from tests.sqlcheck.snowflake_check import check_snowflake_sql

        for stmt in stmts:
            check_snowflake_sql(stmt)
        return
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{SCHEMA}"')
    for stmt in stmts[:-1] * 2:  # idempotent DDL; a re-run replaces the row
        con.execute(stmt)
    assert con.execute(stmts[-1]).fetchall() == [("d1", "abc", NOW)]
