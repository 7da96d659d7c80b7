"""plan/parity_check.py: the read plan of one environment and the pure diff of two snapshots."""

from __future__ import annotations

import math

import pytest
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.errors import UserError
from pipelineops.plan import parity_check
from pipelineops.plan.parity_check import Column, Finding, Grant, RelationFacts, Snapshot
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE

ORDERS = (Column("order_id", "BIGINT"), Column("amount", "DECIMAL(18,2)"))


def rel(
    name: str, *, rows: int = 100, columns: tuple[Column, ...] = ORDERS, schema: str = "MARTS"
) -> RelationFacts:
    return RelationFacts(schema, name, columns, rows)


def snap(env: str, *relations: RelationFacts, schemas: tuple[str, ...] = ("MARTS",), grants=None) -> Snapshot:
    return Snapshot(env, schemas, relations, grants)


def diff(staging: Snapshot, prod: Snapshot, *, pct: float = 10.0, strict: bool = False, schemas=("MARTS",)):
    return parity_check.diff(staging, prod, schemas=schemas, row_count_pct=pct, strict=strict)


# --- inputs ------------------------------------------------------------------------------------------


def test_schemas_default_to_the_config_and_are_validated_upper_cased_and_deduplicated() -> None:
    assert parity_check.parse_schemas(None, ("MARTS",)) == ("MARTS",)
    assert parity_check.parse_schemas("  ", ("MARTS",)) == ("MARTS",)
    assert parity_check.parse_schemas("marts, Staging,MARTS", ()) == ("MARTS", "STAGING")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("MARTS,,STAGING", "empty name"),
        ('MARTS"; DROP SCHEMA X; --', "not a plain identifier"),
        ("MÅRTS", "--schemas"),
    ],
)
def test_hostile_or_empty_schema_names_are_refused(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parity_check.parse_schemas(text, ("MARTS",))


def test_row_count_pct_defaults_to_the_config_and_accepts_numbers() -> None:
    assert parity_check.parse_pct(None, 10.0) == 10.0
    assert parity_check.parse_pct("", 10.0) == 10.0
    assert parity_check.parse_pct(" 2.5 ", 10.0) == 2.5
    assert parity_check.parse_pct("0", 10.0) == 0.0


@pytest.mark.parametrize("text", ["-1", "five", "nan", "inf"])
def test_row_count_pct_must_be_a_finite_non_negative_number(text: str) -> None:
    with pytest.raises(UserError, match="not a percentage"):
        parity_check.parse_pct(text, 10.0)


# --- the read plan -------------------------------------------------------------------------------------


def test_local_read_plan_has_one_listing_per_schema_and_no_grants() -> None:
    plan = parity_check.read_plan(
        environment="staging",
        database="lake",
        dialect=DUCKDB,
        schemas=("MARTS", "STAGING"),
        reader_roles=("R",),
    )
    assert [s.name for s in plan.steps] == ["schemas", "relations", "columns", "row-counts", "grants"]
    assert plan.step("schemas").sql == (
        "SELECT schema_name AS name FROM information_schema.schemata WHERE catalog_name = 'lake' ORDER BY 1",
    )
    assert len(plan.step("relations").sql) == len(plan.step("columns").sql) == 2
    assert "upper(table_schema) = 'STAGING'" in plan.step("columns").sql[1]
    assert plan.step("row-counts").sql == ()
    assert (
        plan.step("grants").sql == () and plan.step("grants").why == "grants: not applicable (local engine)"
    )
    assert ("schemas", "MARTS, STAGING") in plan.facts


def test_snowflake_read_plan_reads_the_reader_roles_grants_and_passes_the_strict_check() -> None:
    plan = parity_check.read_plan(
        environment="prod",
        database="ANALYTICS",
        dialect=SNOWFLAKE,
        schemas=("MARTS",),
        reader_roles=("REPORTER",),
    )
    assert plan.step("grants").sql == ('SHOW GRANTS ON SCHEMA "ANALYTICS"."MARTS"',)
    for step in plan.steps:
        for stmt in step.sql:
            check_snowflake_sql(stmt)
    check_snowflake_sql(parity_check.row_count_sql("ANALYTICS", "MARTS", "dim_products", SNOWFLAKE))


def test_snowflake_read_plan_without_reader_roles_says_grants_are_not_compared() -> None:
    plan = parity_check.read_plan(
        environment="prod", database="ANALYTICS", dialect=SNOWFLAKE, schemas=("MARTS",), reader_roles=()
    )
    assert plan.step("grants").sql == ()
    assert "no environments.<env>.reader_roles" in plan.step("grants").why


def test_row_count_sql_refuses_a_hostile_relation_name() -> None:
    with pytest.raises(UserError, match="not a plain identifier"):
        parity_check.row_count_sql("lake", "MARTS", 'x"; DROP TABLE y; --', DUCKDB)
    assert parity_check.row_count_sql("lake", "MARTS", "dim_products", DUCKDB) == (
        'SELECT COUNT(*) AS n FROM "lake"."MARTS"."dim_products"'
    )


# --- reading results ---------------------------------------------------------------------------------


def test_present_schemas_keep_the_wanted_order_whatever_the_listing_case() -> None:
    assert parity_check.present_schemas(["main", "marts", "STAGING"], ("STAGING", "MARTS", "RAW")) == (
        "STAGING",
        "MARTS",
    )


def test_group_columns_by_relation_in_order() -> None:
    rows = [("dim_a", "id", "BIGINT"), ("DIM_A", "name", "VARCHAR"), ("dim_b", "x", "INT")]
    assert parity_check.group_columns(rows) == {
        "DIM_A": (Column("id", "BIGINT"), Column("name", "VARCHAR")),
        "DIM_B": (Column("x", "INT"),),
    }


def test_grants_from_keeps_only_the_reader_roles_privileges() -> None:
    rows = [
        {"privilege": "USAGE", "granted_to": "ROLE", "grantee_name": "REPORTER"},
        {"privilege": "USAGE", "granted_to": "ROLE", "grantee_name": "REPORTER"},
        {"privilege": "OWNERSHIP", "granted_to": "ROLE", "grantee_name": "DEPLOYER"},
        {"privilege": "USAGE", "granted_to": "SHARE", "grantee_name": "REPORTER"},
        {"privilege": "MONITOR", "granted_to": "ROLE", "grantee_name": "reporter"},
    ]
    assert parity_check.grants_from("marts", rows, ("reporter",)) == (
        Grant("MARTS", "REPORTER", "MONITOR"),
        Grant("MARTS", "REPORTER", "USAGE"),
    )


# --- the diff ----------------------------------------------------------------------------------------


def test_identical_environments_have_no_findings() -> None:
    a = rel("fct_orders")
    assert diff(snap("staging", a), snap("prod", a)) == ()


def test_relation_names_compare_case_insensitively() -> None:
    staging = snap(
        "staging",
        rel("FCT_ORDERS", columns=(Column("ORDER_ID", "bigint"), Column("AMOUNT", "decimal(18,2)"))),
    )
    assert diff(staging, snap("prod", rel("fct_orders"))) == ()


def test_a_relation_missing_on_either_side_fails() -> None:
    found = diff(snap("staging", rel("a"), rel("b")), snap("prod", rel("b"), rel("c")))
    assert found == (
        Finding("fail", "missing-relation", "MARTS.a", "missing in prod (only staging has it)"),
        Finding("fail", "missing-relation", "MARTS.c", "missing in staging"),
    )


def test_a_column_missing_in_the_checked_environment_fails_and_an_extra_one_warns() -> None:
    staging = rel("a", columns=(Column("order_id", "BIGINT"), Column("note", "VARCHAR")))
    found = diff(snap("staging", staging), snap("prod", rel("a")))
    assert found == (
        Finding("fail", "missing-column", "MARTS.a.amount", "missing in staging (prod: DECIMAL(18,2))"),
        Finding("warn", "extra-column", "MARTS.a.note", "only in staging (VARCHAR); prod does not have it"),
    )
    assert found[0].line == "FAIL missing-column MARTS.a.amount: missing in staging (prod: DECIMAL(18,2))"


def test_a_retyped_column_fails() -> None:
    staging = rel("a", columns=(Column("order_id", "VARCHAR"), ORDERS[1]))
    assert diff(snap("staging", staging), snap("prod", rel("a"))) == (
        Finding("fail", "retyped-column", "MARTS.a.order_id", "staging: VARCHAR, prod: BIGINT"),
    )


@pytest.mark.parametrize(("rows", "reported"), [(110, False), (111, True), (89, True), (90, False)])
def test_row_count_drift_warns_only_beyond_the_threshold(rows: int, reported: bool) -> None:
    found = diff(snap("staging", rel("a", rows=rows)), snap("prod", rel("a", rows=100)), pct=10)
    assert bool(found) is reported
    if reported:
        assert found[0].severity == "warn" and found[0].kind == "row-count"
        assert "threshold 10%" in found[0].detail and "% apart" in found[0].detail


def test_rows_where_the_reference_has_none_are_new_rows() -> None:
    found = diff(snap("staging", rel("a", rows=5)), snap("prod", rel("a", rows=0)), pct=50)
    assert found[0].detail == "staging 5 rows, prod 0 rows (new rows; threshold 50%)"
    assert diff(snap("staging", rel("a", rows=0)), snap("prod", rel("a", rows=0)), pct=0) == ()


def test_row_delta_pct() -> None:
    assert parity_check.row_delta_pct(100, 100) == 0.0
    assert parity_check.row_delta_pct(50, 100) == 50.0
    assert parity_check.row_delta_pct(150, 100) == 50.0
    assert math.isinf(parity_check.row_delta_pct(1, 0))


def test_strict_makes_every_warning_a_failure() -> None:
    staging = snap("staging", rel("a", rows=200, columns=(*ORDERS, Column("note", "VARCHAR"))))
    loose = diff(staging, snap("prod", rel("a")))
    strict = diff(staging, snap("prod", rel("a")), strict=True)
    assert {f.severity for f in loose} == {"warn"} and {f.severity for f in strict} == {"fail"}
    assert [f.kind for f in strict] == [f.kind for f in loose] == ["extra-column", "row-count"]


def test_failures_come_before_warnings() -> None:
    staging = snap("staging", rel("a", rows=500), rel("b", columns=ORDERS[:1]))
    found = diff(staging, snap("prod", rel("a"), rel("b")))
    assert [(f.severity, f.subject) for f in found] == [("fail", "MARTS.b.amount"), ("warn", "MARTS.a")]
    assert parity_check.count(found, "fail") == parity_check.count(found, "warn") == 1


def test_a_schema_missing_on_one_side_fails_once_and_on_neither_side_warns() -> None:
    staging = snap("staging", rel("a"), schemas=("MARTS",))
    prod = snap("prod", rel("a"), rel("s", schema="STAGING"), schemas=("MARTS", "STAGING"))
    found = diff(staging, prod, schemas=("MARTS", "STAGING", "RAW"))
    assert found == (
        Finding("fail", "missing-schema", "STAGING", "missing in staging (prod has it)"),
        Finding("warn", "missing-schema", "RAW", "exists in neither staging nor prod"),
    )
    back = diff(prod, staging, schemas=("STAGING",))
    assert back == (Finding("fail", "missing-schema", "STAGING", "missing in staging (prod has it)"),)


def test_only_the_schemas_asked_for_are_compared() -> None:
    staging = snap("staging", rel("x", schema="STAGING"), schemas=("MARTS", "STAGING"))
    prod = snap("prod", schemas=("MARTS", "STAGING"))
    assert diff(staging, prod, schemas=("MARTS",)) == ()


def test_reader_grants_missing_in_the_checked_environment_fail_and_extra_ones_warn() -> None:
    usage, select = Grant("MARTS", "REPORTER", "USAGE"), Grant("MARTS", "REPORTER", "SELECT")
    other = Grant("STAGING", "REPORTER", "USAGE")
    found = diff(snap("staging", grants=(select,)), snap("prod", grants=(usage, other)))
    assert found == (
        Finding("fail", "missing-grant", "MARTS to REPORTER", "USAGE granted in prod, not in staging"),
        Finding("warn", "extra-grant", "MARTS to REPORTER", "SELECT granted in staging, not in prod"),
    )


def test_grants_are_not_compared_when_either_side_did_not_read_them() -> None:
    usage = Grant("MARTS", "REPORTER", "USAGE")
    assert diff(snap("staging", grants=None), snap("prod", grants=(usage,))) == ()
    assert diff(snap("staging", grants=(usage,)), snap("prod", grants=None)) == ()
