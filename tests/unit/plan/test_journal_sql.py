"""SQL of the DEPLOY_STATE journal, the deploy lock and published manifests.

The text is checked per dialect, every Snowflake statement passes the strict static check, and the DuckDB
statements run for real on an in-memory database (catalog ``memory``): the DDL is idempotent, values with
quotes and backslashes survive a round trip, and the lock's compare-and-set lets one holder in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from pipelineops.errors import UserError
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect, journal

DB, SCHEMA, ENV = "memory", "PIPELINEOPS", "prod"
NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
TRICKY = "O'Brien's deploy \\ C:\\path\\ 'quoted' \\' end\nsecond line"


def snowflake_check() -> Callable[[str], None]:
    """The strict static Snowflake check (tests/sqlcheck), imported when first needed."""
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    return check_snowflake_sql


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    for stmt in journal.migrations(DB, SCHEMA, DUCKDB):
        connection.execute(stmt)
    yield connection
    connection.close()


def affected(con: duckdb.DuckDBPyConnection, stmt: str) -> int:
    row = con.execute(stmt).fetchone()
    assert row is not None
    return int(row[0])


def state_row(**values: Any) -> dict[str, object]:
    row: dict[str, object] = {
        "deploy_id": "d1",
        "environment": ENV,
        "kind": "deploy",
        "step": "build",
        "status": "started",
        "started_at": NOW,
    }
    row.update(values)
    return row


# --- migrations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_migrations_are_idempotent_ddl(dialect: Dialect) -> None:
    stmts = journal.migrations("ANALYTICS", SCHEMA, dialect)
    assert len(stmts) == 4
    assert all(s.startswith(("CREATE SCHEMA IF NOT EXISTS ", "CREATE TABLE IF NOT EXISTS ")) for s in stmts)
    names = ("DEPLOY_STATE", "DEPLOY_LOCK", "DEPLOY_MANIFESTS")
    assert [s.split(" (")[0].rsplit(".", 1)[-1] for s in stmts[1:]] == [f'"{n}"' for n in names]
    assert journal.SCHEMA_VERSION == 1


def test_migrations_text_per_dialect() -> None:
    duck = journal.migrations("lake", "pipelineops", DUCKDB)
    snow = journal.migrations("lake", "pipelineops", SNOWFLAKE)
    assert duck[0] == 'CREATE SCHEMA IF NOT EXISTS "lake"."pipelineops"'
    assert snow[0] == 'CREATE SCHEMA IF NOT EXISTS "LAKE"."PIPELINEOPS"'
    assert "started_at TIMESTAMPTZ" in duck[1] and "TIMESTAMP_TZ" not in duck[1]
    assert "started_at TIMESTAMP_TZ" in snow[1] and "finished_at TIMESTAMP_TZ" in snow[1]
    assert "elapsed_ms BIGINT" in duck[1] and "deploy_id VARCHAR" in duck[1]


def test_migrations_run_twice_on_duckdb_and_create_the_documented_columns(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for stmt in journal.migrations(DB, SCHEMA, DUCKDB):  # a second time: nothing changes, no error
        con.execute(stmt)
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'PIPELINEOPS' AND table_name = 'DEPLOY_STATE' ORDER BY ordinal_position"
    ).fetchall()
    assert tuple(c for c, _ in cols) == journal.STATE_COLUMNS
    types = dict(cols)
    assert types["started_at"] == types["finished_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["elapsed_ms"] == "BIGINT"
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'PIPELINEOPS' ORDER BY 1"
    ).fetchall()
    assert tables == [("DEPLOY_LOCK",), ("DEPLOY_MANIFESTS",), ("DEPLOY_STATE",)]


@pytest.mark.parametrize(
    "bad", ['PIPELINEOPS"; DROP SCHEMA X; --', "PIPE OPS", "PIPELINE\u041ePS", "X" * 300]
)
def test_identifiers_are_validated(bad: str) -> None:
    with pytest.raises(UserError):
        journal.migrations("ANALYTICS", bad, SNOWFLAKE)
    with pytest.raises(UserError):
        journal.insert_state(bad, SCHEMA, state_row(), DUCKDB)


# --- DEPLOY_STATE rows --------------------------------------------------------------------------------


def test_insert_state_rejects_unknown_columns() -> None:
    with pytest.raises(ValueError, match=r"unknown DEPLOY_STATE columns: \['colour', 'rows'\]"):
        journal.insert_state(DB, SCHEMA, state_row(colour="BLUE", rows=3), DUCKDB)


def test_insert_state_orders_columns_and_renders_each_type() -> None:
    row = {"elapsed_ms": 1500, "status": "succeeded", "deploy_id": "d1", "finished_at": NOW, "error": None}
    row["detail"] = True
    assert journal.insert_state("lake", SCHEMA, row, DUCKDB) == (
        'INSERT INTO "lake"."PIPELINEOPS"."DEPLOY_STATE" (deploy_id, status, finished_at, elapsed_ms, detail, error) '
        "VALUES ('d1', 'succeeded', CAST('2026-03-04 05:06:07.890123+00:00' AS TIMESTAMPTZ), 1500, TRUE, NULL)"
    )
    snow = journal.insert_state("analytics", SCHEMA, {"detail": False, "finished_at": NOW}, SNOWFLAKE)
    assert snow == (
        'INSERT INTO "ANALYTICS"."PIPELINEOPS"."DEPLOY_STATE" (finished_at, detail) '
        "VALUES (CAST('2026-03-04 05:06:07.890123+00:00' AS TIMESTAMP_TZ), FALSE)"
    )


def test_escaping_of_quotes_and_backslashes_per_dialect() -> None:
    value = "it's C:\\tmp"
    duck = journal.insert_state(DB, SCHEMA, {"detail": value}, DUCKDB)
    snow = journal.insert_state(DB, SCHEMA, {"detail": value}, SNOWFLAKE)
    assert duck.endswith("VALUES ('it''s C:\\tmp')")  # DuckDB: backslash is an ordinary character
    assert snow.endswith("VALUES ('it''s C:\\\\tmp')")  # Snowflake: backslash escapes, so it is doubled


def test_values_round_trip_through_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    injection = 'x\'); DROP TABLE "PIPELINEOPS"."DEPLOY_STATE"; --'
    con.execute(
        journal.insert_state(DB, SCHEMA, state_row(detail=TRICKY, error=injection, elapsed_ms=42), DUCKDB)
    )
    later = NOW + timedelta(seconds=3)
    con.execute(journal.insert_state(DB, SCHEMA, state_row(status="succeeded", finished_at=later), DUCKDB))
    con.execute(journal.insert_state(DB, SCHEMA, state_row(deploy_id="other", environment="staging"), DUCKDB))
    rows = con.execute(journal.select_state(DB, SCHEMA, ENV, DUCKDB)).fetchall()
    assert len(rows) == 2  # staging is filtered out
    first = dict(zip(journal.STATE_COLUMNS, rows[0], strict=True))
    assert (first["detail"], first["error"], first["elapsed_ms"]) == (TRICKY, injection, 42)
    assert first["started_at"] == NOW
    second = dict(zip(journal.STATE_COLUMNS, rows[1], strict=True))
    assert (second["status"], second["finished_at"]) == ("succeeded", later)


def test_select_state_keeps_the_newest_rows_in_journal_order(con: duckdb.DuckDBPyConnection) -> None:
    """A long journal must not hide the latest deploys: the limit keeps the newest rows, oldest first."""
    for i in (3, 1, 2):
        con.execute(
            journal.insert_state(
                DB, SCHEMA, state_row(deploy_id=f"d{i}", started_at=NOW + timedelta(i)), DUCKDB
            )
        )
    rows = con.execute(journal.select_state(DB, SCHEMA, ENV, DUCKDB, limit=2)).fetchall()
    assert [r[0] for r in rows] == ["d2", "d3"]
    assert " LIMIT 7) AS newest " in journal.select_state(DB, SCHEMA, ENV, SNOWFLAKE, limit=7)


# --- the deploy lock ----------------------------------------------------------------------------------


def take(con: duckdb.DuckDBPyConnection, deploy_id: str, *, env: str = ENV) -> int:
    return affected(
        con,
        journal.take_lock(
            DB,
            SCHEMA,
            env,
            deploy_id=deploy_id,
            holder=f"{deploy_id}-actor",
            run_url="https://x/1",
            now=NOW,
            dialect=DUCKDB,
        ),
    )


def holder(con: duckdb.DuckDBPyConnection, env: str = ENV) -> tuple[Any, ...] | None:
    return con.execute(journal.select_lock(DB, SCHEMA, env, DUCKDB)).fetchone()


def test_lock_row_is_created_once(con: duckdb.DuckDBPyConnection) -> None:
    assert affected(con, journal.ensure_lock_row(DB, SCHEMA, ENV, DUCKDB)) == 1
    assert affected(con, journal.ensure_lock_row(DB, SCHEMA, ENV, DUCKDB)) == 0
    assert affected(con, journal.ensure_lock_row(DB, SCHEMA, "staging", DUCKDB)) == 1
    assert con.execute('SELECT count(*) FROM "memory"."PIPELINEOPS"."DEPLOY_LOCK"').fetchone() == (2,)
    assert holder(con) == (None, None, None, None)


def test_compare_and_set_lets_only_one_holder_in(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(journal.ensure_lock_row(DB, SCHEMA, ENV, DUCKDB))
    con.execute(journal.ensure_lock_row(DB, SCHEMA, "staging", DUCKDB))
    assert take(con, "d1") == 1
    assert holder(con) == ("d1", "d1-actor", "https://x/1", NOW)
    assert take(con, "d2") == 0  # held by another deploy: the compare-and-set refuses
    assert holder(con)[0] == "d1"  # type: ignore[index]
    assert take(con, "d1") == 1  # the same deploy re-takes it (a re-run)
    assert take(con, "d2", env="staging") == 1  # one lock per environment
    # release by someone else does nothing; by the holder frees it
    assert affected(con, journal.release_lock(DB, SCHEMA, ENV, "d2", DUCKDB)) == 0
    assert affected(con, journal.release_lock(DB, SCHEMA, ENV, "d1", DUCKDB)) == 1
    assert holder(con) == (None, None, None, None)
    assert take(con, "d2") == 1
    # --force-unlock releases whoever holds it
    assert affected(con, journal.release_lock(DB, SCHEMA, ENV, None, DUCKDB)) == 1
    assert holder(con) == (None, None, None, None)
    assert holder(con, "staging")[0] == "d2"  # type: ignore[index]


def test_a_duplicate_free_lock_row_lets_no_second_holder_in(con: duckdb.DuckDBPyConnection) -> None:
    """Two first runs racing through ensure_lock_row can leave two rows (no enforced primary key)."""
    con.execute(journal.ensure_lock_row(DB, SCHEMA, ENV, DUCKDB))
    con.execute('INSERT INTO "memory"."PIPELINEOPS"."DEPLOY_LOCK" (environment) VALUES (\'prod\')')
    assert take(con, "d1") == 2
    con.execute('INSERT INTO "memory"."PIPELINEOPS"."DEPLOY_LOCK" (environment) VALUES (\'prod\')')
    assert take(con, "d2") == 0  # the free duplicate does not count: d1 holds the lock
    rows = con.execute('SELECT deploy_id FROM "memory"."PIPELINEOPS"."DEPLOY_LOCK" ORDER BY 1').fetchall()
    assert rows == [("d1",), ("d1",), (None,)]
    assert holder(con)[0] == "d1"  # type: ignore[index]  # the held row is the one reported
    assert take(con, "d1") == 3  # a re-run of the holder takes every row of the environment


def test_lock_text_is_a_compare_and_set() -> None:
    text = journal.take_lock(
        "ANALYTICS",
        SCHEMA,
        ENV,
        deploy_id="gh-1-1",
        holder="o'neil",
        run_url="u",
        now=NOW,
        dialect=SNOWFLAKE,
    )
    assert text == (
        "UPDATE \"ANALYTICS\".\"PIPELINEOPS\".\"DEPLOY_LOCK\" SET deploy_id = 'gh-1-1', holder = 'o''neil', "
        "run_url = 'u', acquired_at = CAST('2026-03-04 05:06:07.890123+00:00' AS TIMESTAMP_TZ) "
        'WHERE environment = \'prod\' AND NOT EXISTS (SELECT 1 FROM "ANALYTICS"."PIPELINEOPS"."DEPLOY_LOCK" '
        "WHERE environment = 'prod' AND deploy_id IS NOT NULL AND deploy_id <> 'gh-1-1')"
    )
    assert journal.release_lock("ANALYTICS", SCHEMA, ENV, None, SNOWFLAKE).endswith(
        "WHERE environment = 'prod'"
    )
    assert journal.release_lock("ANALYTICS", SCHEMA, ENV, "d1", SNOWFLAKE).endswith(
        "WHERE environment = 'prod' AND deploy_id = 'd1'"
    )


# --- manifests ----------------------------------------------------------------------------------------


def test_manifests_round_trip_and_latest_wins(con: duckdb.DuckDBPyConnection) -> None:
    for i, colour in enumerate(("BLUE", "GREEN")):
        con.execute(
            journal.insert_manifest(
                DB,
                SCHEMA,
                environment=ENV,
                deploy_id=f"d{i}",
                colour=colour,
                digest=f"sha256:{i}",
                published_at=NOW + timedelta(hours=i),
                manifest='{"nodes": {"a": "it\'s \\\\ here"}}',
                dialect=DUCKDB,
            )
        )
    rows = con.execute(journal.latest_manifest(DB, SCHEMA, ENV, DUCKDB)).fetchall()
    assert rows == [
        ("d1", "GREEN", "sha256:1", NOW + timedelta(hours=1), 1, 1, '{"nodes": {"a": "it\'s \\\\ here"}}')
    ]
    assert con.execute(journal.latest_manifest(DB, SCHEMA, "staging", DUCKDB)).fetchone() is None
    con.execute(journal.delete_manifest(DB, SCHEMA, ENV, "d1", DUCKDB))
    assert con.execute(journal.latest_manifest(DB, SCHEMA, ENV, DUCKDB)).fetchone()[0] == "d0"


def test_latest_manifest_returns_every_part_of_the_newest_deploy_in_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for deploy, hours in (("old", 0), ("new", 1)):
        for part in (2, 1, 3):
            con.execute(
                journal.insert_manifest(
                    DB,
                    SCHEMA,
                    environment=ENV,
                    deploy_id=deploy,
                    colour="BLUE",
                    digest="d",
                    published_at=NOW + timedelta(hours=hours),
                    manifest=f"{deploy}-{part}",
                    dialect=DUCKDB,
                    part=part,
                    parts=3,
                )
            )
    rows = con.execute(journal.latest_manifest(DB, SCHEMA, ENV, DUCKDB)).fetchall()
    assert [(r[0], r[4], r[6]) for r in rows] == [
        ("new", 1, "new-1"),
        ("new", 2, "new-2"),
        ("new", 3, "new-3"),
    ]
    rows = con.execute(journal.manifest_of(DB, SCHEMA, ENV, "old", DUCKDB)).fetchall()
    assert [(r[0], r[4], r[6]) for r in rows] == [
        ("old", 1, "old-1"),
        ("old", 2, "old-2"),
        ("old", 3, "old-3"),
    ]
    assert con.execute(journal.manifest_of(DB, SCHEMA, "staging", "old", DUCKDB)).fetchall() == []


# --- every Snowflake statement passes the strict static check -----------------------------------------


def all_statements(dialect: Dialect) -> list[str]:
    db = "ANALYTICS" if dialect == SNOWFLAKE else DB
    return [
        *journal.migrations(db, SCHEMA, dialect),
        journal.insert_state(db, SCHEMA, state_row(detail=TRICKY, elapsed_ms=3, finished_at=NOW), dialect),
        journal.select_state(db, SCHEMA, ENV, dialect),
        journal.ensure_lock_row(db, SCHEMA, ENV, dialect),
        journal.take_lock(db, SCHEMA, ENV, deploy_id="d", holder="h", run_url="u", now=NOW, dialect=dialect),
        journal.release_lock(db, SCHEMA, ENV, "d", dialect),
        journal.release_lock(db, SCHEMA, ENV, None, dialect),
        journal.select_lock(db, SCHEMA, ENV, dialect),
        journal.insert_manifest(
            db,
            SCHEMA,
            environment=ENV,
            deploy_id="d",
            colour="BLUE",
            digest="sha256:0",
            published_at=NOW,
            manifest=TRICKY,
            dialect=dialect,
        ),
        journal.latest_manifest(db, SCHEMA, ENV, dialect),
        journal.delete_manifest(db, SCHEMA, ENV, "d", dialect),
    ]


def test_every_snowflake_journal_statement_passes_the_strict_check() -> None:
    check = snowflake_check()
    stmts = all_statements(SNOWFLAKE)
    assert len(stmts) == 14
    for stmt in stmts:
        check(stmt)


def test_every_duckdb_journal_statement_runs(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in all_statements(DUCKDB):
        con.execute(stmt)
    assert journal.table(DB, SCHEMA, journal.LOCK, DUCKDB) == '"memory"."PIPELINEOPS"."DEPLOY_LOCK"'
