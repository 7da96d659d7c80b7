"""plan/sql/data_diff.py against the golden SQL in tests/fixtures/sql/data_diff, both dialects.

Every Snowflake statement passes the strict static check; every DuckDB statement runs on a real DuckDB
over two small tables with the same names, so the golden text is known to work on the local engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, load_golden
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.errors import UserError
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Relation, dialect_for
from pipelineops.plan.sql import data_diff as sql

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "data_diff"
CASES = [case for path in sorted(GOLDEN_DIR.glob("*.sql")) for case in load_golden(path)]


def _relation(text: str) -> Relation:
    database, schema, name = text.split(".")
    return Relation(database, schema, name)


def _column(text: str) -> sql.DiffColumn:
    name, _, flag = text.partition(":")
    return sql.DiffColumn(name, as_text=flag == "text")


def _profile_column(text: str) -> sql.ProfileColumn:
    name, _, flag = text.partition(":")
    return sql.ProfileColumn(name, extremes=flag != "no-extremes")


def render(case: GoldenCase) -> str:
    args = json.loads(case.meta["args"])
    for key in ("pr", "prod", "relation"):
        if key in args:
            args[key] = _relation(args[key])
    for key in ("keys", "columns"):
        if key in args:
            convert = _profile_column if case.meta["function"] == "profile" else _column
            args[key] = [convert(c) for c in args[key]]
    if "column" in args:
        args["column"] = _column(args["column"])
    fn: Callable[..., str | tuple[str, ...]] = getattr(sql, case.meta["function"])
    out = fn(**args, dialect=dialect_for(case.meta["dialect"]))
    return out if isinstance(out, str) else "\n".join(out) or "-- none on this engine"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sql_matches_the_golden_file(case: GoldenCase) -> None:
    assert_golden(case, render(case))


@pytest.mark.parametrize("case", [c for c in CASES if c.meta["dialect"] == "snowflake"], ids=str)
def test_every_snowflake_statement_passes_the_strict_check(case: GoldenCase) -> None:
    for statement in render(case).split("\n"):
        check_snowflake_sql(statement)


def _local_tables() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS \"ANALYTICS\"")
    for schema in ("CI_PR_42_MARTS", "MARTS"):
        con.execute(f'CREATE SCHEMA "ANALYTICS"."{schema}"')
        con.execute(
            f'CREATE TABLE "ANALYTICS"."{schema}"."dim_customers" (customer_id INT, email VARCHAR, '
            "lifetime_value DECIMAL(18,2), customer_segment VARCHAR)"
        )
        con.execute(
            f'CREATE TABLE "ANALYTICS"."{schema}"."fct_orders" (order_id INT, order_date DATE, status VARCHAR)'
        )
    con.execute('CREATE TABLE "ANALYTICS"."MARTS"."events" (event_id INT, email VARCHAR, event_at TIMESTAMP)')
    return con


@pytest.mark.parametrize("case", [c for c in CASES if c.meta["dialect"] == "duckdb"], ids=str)
def test_every_duckdb_statement_runs_on_duckdb(case: GoldenCase) -> None:
    statement = render(case)
    if statement.startswith("--"):
        return
    con = _local_tables()
    con.execute(statement).fetchall()


def test_golden_files_cover_every_statement_in_both_dialects() -> None:
    covered = {(c.meta["function"], c.meta["dialect"]) for c in CASES}
    functions = {"row_counts", "key_diff", "key_examples", "value_examples", "profile", "session_timeout"}
    functions.add("session_timeout_reset")
    assert {(f, d) for f in functions for d in ("snowflake", "duckdb")} <= covered


def test_a_key_diff_needs_a_key_and_hostile_column_names_are_refused() -> None:
    pr, prod = _relation("A.B.C"), _relation("A.D.C")
    with pytest.raises(ValueError, match="at least one key"):
        sql.key_diff(pr, prod, [], [sql.DiffColumn("x")], DUCKDB)
    with pytest.raises(UserError, match="column"):
        sql.key_diff(pr, prod, [sql.DiffColumn('id"; DROP TABLE x; --')], [], SNOWFLAKE)
    with pytest.raises(UserError, match="column"):
        sql.profile(pr, [sql.ProfileColumn("a b")], DUCKDB, approx=False)


def test_a_key_diff_without_compared_columns_counts_no_changed_row() -> None:
    text = sql.key_diff(_relation("A.B.C"), _relation("A.D.C"), [sql.DiffColumn("id")], [], DUCKDB)
    assert "CASE WHEN 1 = 0 THEN 1 ELSE 0 END) AS changed" in text
