"""plan/sql/common.py against the golden SQL in tests/fixtures/sql/common, both dialects.

Every Snowflake statement also passes the strict static check (tests/sqlcheck/snowflake_check.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, load_golden
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.errors import UserError
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, common, dialect_for

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "common"
CASES = [case for path in sorted(GOLDEN_DIR.glob("*.sql")) for case in load_golden(path)]
RELATION_ARGS = {"relation", "view", "target", "source", "table"}
#: Functions that return a whole statement (the rest return fragments: identifiers, literals, lists).
STATEMENTS = {
    "create_schema",
    "drop_schema",
    "list_schemas",
    "swap_schema",
    "list_relations",
    "view_definitions",
    "create_view",
    "drop_view",
    "row_count",
    "columns_of",
    "copy_table",
    "replace_schema",
    "grant_schema_usage",
    "grant_select_on_all_views",
    "show_grants_on_schema",
}
#: Functions with no local-engine form (they raise ValueError on duckdb).
SNOWFLAKE_ONLY = {"swap_schema", "grant_schema_usage", "grant_select_on_all_views", "show_grants_on_schema"}


def _relation(text: str) -> common.Relation:
    database, schema, name = text.split(".")
    return common.Relation(database, schema, name)


def _function(name: str) -> Callable[..., str]:
    if name == "relation_sql":
        return lambda relation, dialect: relation.sql(dialect)
    fn: Callable[..., str] = getattr(common, name)
    return fn


def render(case: GoldenCase) -> str:
    args = json.loads(case.meta["args"])
    for key in RELATION_ARGS & set(args):
        args[key] = _relation(args[key])
    if case.meta["function"] == "ts_lit":
        args["value"] = datetime.fromisoformat(args["value"])
    return _function(case.meta["function"])(**args, dialect=dialect_for(case.meta["dialect"]))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sql_matches_the_golden_file(case: GoldenCase) -> None:
    assert_golden(case, render(case))


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.meta["dialect"] == "snowflake" and c.meta["function"] in STATEMENTS],
    ids=str,
)
def test_every_snowflake_statement_passes_the_strict_check(case: GoldenCase) -> None:
    check_snowflake_sql(render(case))


def test_golden_files_cover_every_public_function_in_both_dialects() -> None:
    covered = {(c.meta["function"], dialect_for(c.meta["dialect"])) for c in CASES}
    public = {
        name
        for name in dir(common)
        if callable(getattr(common, name))
        and not name.startswith("_")
        and getattr(getattr(common, name), "__module__", "") == common.__name__
        and name not in {"Relation", "needs_grants"}
    } | {"relation_sql"}
    for name in public:
        dialects = {SNOWFLAKE} if name in SNOWFLAKE_ONLY else {SNOWFLAKE, DUCKDB}
        assert {(name, d) for d in dialects} <= covered, name


def test_swap_schema_exists_only_where_the_cutover_is_a_schema_swap() -> None:
    with pytest.raises(ValueError, match=r"needs an engine with grants|has no schema"):
        common.swap_schema("ANALYTICS", "MARTS__NEXT", "MARTS", DUCKDB)


@pytest.mark.parametrize(
    "call",
    [
        lambda: common.create_schema("ANALYTICS", 'X"; DROP SCHEMA PROD; --', SNOWFLAKE),
        lambda: common.drop_schema("ANALYTICS", "MARTS; DROP", DUCKDB),
        lambda: common.list_schemas("ANALYTICS'--", DUCKDB),
        lambda: common.list_schemas("ANALYTICS'--", SNOWFLAKE),
        lambda: common.list_relations("ANALYTICS", "MARTS'", DUCKDB),
        lambda: common.view_definitions("ANALYTICS", "MARTS'", SNOWFLAKE),
        lambda: common.view_definitions("ANALYTICS", "MARTS'", DUCKDB),
        lambda: common.columns_of(common.Relation("ANALYTICS", "MARTS", "ORDERS'"), SNOWFLAKE),
        lambda: common.columns_of(common.Relation("ANALYTI CS", "MARTS", "ORDERS"), DUCKDB),
        lambda: common.swap_schema("ANALYTICS", "MARTS", "MARTS NEXT", SNOWFLAKE),
        lambda: common.create_view(
            common.Relation("ANALYTICS", "MARTS", "ORDERS"),
            common.Relation("ANALYTICS", "M\u0410RTS", "ORDERS"),
            DUCKDB,
        ),
    ],
)
def test_every_statement_refuses_hostile_names_before_building_sql(call: Callable[[], str]) -> None:
    with pytest.raises(UserError, match="not a plain identifier"):
        call()


def test_string_literals_cannot_break_out_of_quotes() -> None:
    for dialect in (SNOWFLAKE, DUCKDB):
        text = common.lit("a' OR '1'='1", dialect)
        assert text == "'a'' OR ''1''=''1'"
    # Snowflake reads backslash as an escape: a trailing backslash must not swallow the closing quote
    assert common.lit("x\\", SNOWFLAKE) == "'x\\\\'"
    check_snowflake_sql(f"SELECT {common.lit('x' + chr(92), SNOWFLAKE)} AS v")
