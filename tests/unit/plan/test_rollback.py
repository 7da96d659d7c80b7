"""Rollback plans: republish uses the deploy's own cutover; time travel never destroys current data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, dump_golden, load_golden
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.errors import UserError
from pipelineops.plan.bluegreen_swap import Published
from pipelineops.plan.rollback import (
    QueryFacts,
    RepublishInputs,
    Route,
    colour_live_at,
    point_time,
    republish_plan,
    retention_days,
    snowflake_recoverability,
    statement_point_problem,
    time_travel_plan,
    undo,
)
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect, Relation
from pipelineops.plan.sql import time_travel as tt

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "rollback"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def republish(dialect: Dialect, n: int = 2) -> RepublishInputs:
    db = "lake" if dialect == DUCKDB else "ANALYTICS"
    return RepublishInputs(
        environment="prod",
        dialect=dialect,
        database=db,
        consumer_schemas=("MARTS",),
        current="GREEN",
        target="BLUE",
        target_deploy="gh-41-1",
        published=tuple(Published("MARTS", f"m{i}") for i in range(n)),
        existing_views={"MARTS": ("m0", "m1", "old")},
    )


def table(dialect: Dialect) -> Relation:
    return Relation("lake" if dialect == DUCKDB else "ANALYTICS", "MARTS__GREEN", "fct_orders")


POINTS: dict[str, tt.PointInTime] = {
    "version": tt.PointInTime("version", version=98),
    "timestamp": tt.PointInTime("timestamp", timestamp=T0),
    "offset": tt.PointInTime("offset", offset_s=-3600),
    "statement": tt.PointInTime("statement", statement="01b2c3d4-0000-1111-0000-000000000001"),
}


def cases(dialect: Dialect) -> list[GoldenCase]:
    path = GOLDEN_DIR / f"{dialect}.sql"
    plans = {"republish": republish_plan(republish(dialect))}
    kinds = ("version", "timestamp") if dialect == DUCKDB else ("timestamp", "offset", "statement")
    for kind in kinds:
        plans[f"timetravel_{kind}"] = time_travel_plan(
            dialect=dialect, table=table(dialect), point=POINTS[kind], restore_id="R1"
        )
    if dialect == SNOWFLAKE:
        plans["timetravel_undrop"] = time_travel_plan(
            dialect=dialect, table=table(dialect), point=POINTS["timestamp"], restore_id="R1", route="undrop"
        )
    out = []
    for name, plan in plans.items():
        for step in plan.steps:
            if step.sql:
                meta = {
                    "case": f"{name}__{step.name}",
                    "dialect": dialect.name,
                    "transactional": str(step.transactional).lower(),
                }
                out.append(GoldenCase(path, 0, meta, ";\n".join(step.sql) + ";"))
    return out


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_rollback_plans_match_golden_sql(dialect: Dialect) -> None:
    expected = cases(dialect)
    path = GOLDEN_DIR / f"{dialect}.sql"
    if not path.exists():
        path.write_text(dump_golden(expected), encoding="utf-8")
    golden = {c.name: c for c in load_golden(path)}
    assert list(golden) == [c.name for c in expected]
    for case in expected:
        assert_golden(golden[case.name], case.sql)


def test_every_snowflake_rollback_statement_passes_the_strict_check() -> None:
    statements = [s for c in cases(SNOWFLAKE) for s in c.sql.rstrip(";").split(";\n")]
    assert any("UNDROP TABLE" in s for s in statements)
    assert any("SWAP WITH" in s for s in statements)
    assert any("BEFORE (STATEMENT =>" in s for s in statements)
    assert any("AT (OFFSET => -3600)" in s for s in statements)
    for stmt in statements:
        check_snowflake_sql(stmt)


@pytest.mark.parametrize("n", [5, 500])
def test_snowflake_republish_cutover_is_one_swap_whatever_the_model_count(n: int) -> None:
    plan = republish_plan(republish(SNOWFLAKE, n))
    assert plan.step("cutover").sql == (
        'ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WITH "ANALYTICS"."MARTS__NEXT"',
    )


def test_snowflake_republish_grants_readers_before_the_swap_and_checks_after() -> None:
    inputs = republish(SNOWFLAKE)
    plan = republish_plan(RepublishInputs(**{**inputs.__dict__, "reader_roles": ("PROD_REPORTER",)}))
    shadow = plan.step("prepare-shadow").sql
    assert 'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"' in shadow
    assert plan.step("cutover").sql == (
        'ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WITH "ANALYTICS"."MARTS__NEXT"',
    )
    assert plan.step("verify-grants").sql == (
        'SHOW GRANTS ON SCHEMA "ANALYTICS"."MARTS"',
        'SHOW GRANTS TO ROLE "PROD_REPORTER"',
    )
    for stmt in (*shadow, *plan.step("verify-grants").sql):
        check_snowflake_sql(stmt)


def test_local_republish_is_one_transaction_and_drops_stale_views() -> None:
    plan = republish_plan(republish(DUCKDB))
    cutover = plan.step("cutover")
    assert cutover.transactional
    assert 'DROP VIEW IF EXISTS "lake"."MARTS"."old"' in cutover.sql
    assert [s.name for s in plan.steps] == ["lock", "cutover", "verify-grants", "smoke", "finish"]
    assert not plan.step("verify-grants").sql


def test_local_restore_keeps_the_current_rows_aside_before_deleting() -> None:
    plan = time_travel_plan(dialect=DUCKDB, table=table(DUCKDB), point=POINTS["version"], restore_id="R1")
    restore = plan.step("restore").sql
    aside = next(
        i
        for i, s in enumerate(restore)
        if s.startswith('CREATE TABLE "lake"."MARTS__GREEN"."fct_orders__REPLACED_R1"')
    )
    delete = next(i for i, s in enumerate(restore) if s.startswith("DELETE"))
    past = next(i for i, s in enumerate(restore) if "AT (VERSION => 98)" in s)
    assert past < aside < delete
    assert plan.step("restore").transactional
    assert ("kept aside", "fct_orders__REPLACED_R1") in plan.facts


def test_impossible_recovery_has_no_plan() -> None:
    with pytest.raises(ValueError):
        time_travel_plan(
            dialect=SNOWFLAKE,
            table=table(SNOWFLAKE),
            point=POINTS["offset"],
            restore_id="R",
            route="impossible",
        )


def test_point_in_time_clauses_are_engine_specific() -> None:
    with pytest.raises(ValueError):
        POINTS["version"].clause(SNOWFLAKE)
    with pytest.raises(ValueError):
        POINTS["offset"].clause(DUCKDB)
    with pytest.raises(ValueError):
        POINTS["statement"].clause(DUCKDB)
    assert POINTS["timestamp"].clause(DUCKDB).startswith("AT (TIMESTAMP => CAST(")
    assert SNOWFLAKE.time_travel.show_table(table(SNOWFLAKE)).startswith(
        "SHOW TABLES LIKE 'FCT_ORDERS' IN SCHEMA"
    )
    check_snowflake_sql(SNOWFLAKE.time_travel.show_table(table(SNOWFLAKE)))


@pytest.mark.parametrize(
    ("kwargs", "route", "reason"),
    [
        ({}, "direct", "within the retention window"),
        ({"created_on": NOW - timedelta(hours=1)}, "undrop", "CREATE OR REPLACE"),
        ({"transient": True, "target": NOW - timedelta(days=2)}, "impossible", "transient"),
        ({"retention_days": 0}, "impossible", "keeps no history"),
        ({"target": NOW - timedelta(days=8)}, "impossible", "outside the 7-day retention"),
        ({"statement_age_days": 15.0}, "impossible", "younger than 14 days"),
        ({"target": NOW + timedelta(hours=1)}, "impossible", "in the future"),
        ({"transient": True, "retention_days": 7, "target": NOW - timedelta(hours=20)}, "direct", "within"),
    ],
)
def test_snowflake_recoverability(kwargs: dict, route: str, reason: str) -> None:
    args = {
        "transient": False,
        "retention_days": 7,
        "created_on": NOW - timedelta(days=30),
        "target": T0,
        "now": NOW,
    }
    verdict = snowflake_recoverability(**{**args, **kwargs})
    assert verdict.route == route
    assert verdict.possible == (route != "impossible")
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_latest_snapshot_reads_the_ducklake_snapshot_table_of_a_checked_database() -> None:
    assert (
        DUCKDB.time_travel.latest_snapshot("lake")
        == "SELECT max(snapshot_id) AS v FROM ducklake_snapshots('lake')"
    )
    with pytest.raises(UserError):
        DUCKDB.time_travel.latest_snapshot("lake'); DROP TABLE x; --")


def test_undrop_route_steps_carry_their_inverses_and_undo_runs_them_newest_first() -> None:
    plan = time_travel_plan(
        dialect=SNOWFLAKE,
        table=table(SNOWFLAKE),
        point=POINTS["timestamp"],
        restore_id="R1",
        route="undrop",
    )
    t = '"ANALYTICS"."MARTS__GREEN"'
    assert undo(plan, ()) == ()
    assert undo(plan, ("set-aside",)) == (
        f'ALTER TABLE {t}."FCT_ORDERS__CURRENT_R1" RENAME TO {t}."FCT_ORDERS"',
    )
    assert undo(plan, ("set-aside", "undrop", "clone")) == (
        f'DROP TABLE IF EXISTS {t}."FCT_ORDERS__RESTORED_R1"',
        f'ALTER TABLE {t}."FCT_ORDERS" RENAME TO {t}."FCT_ORDERS__UNDROPPED_R1"',
        f'ALTER TABLE {t}."FCT_ORDERS__CURRENT_R1" RENAME TO {t}."FCT_ORDERS"',
    )
    for statement in undo(plan, ("set-aside", "undrop", "clone")):
        check_snowflake_sql(statement)


@pytest.mark.parametrize("route", ["direct", "undrop"])
def test_the_clone_of_a_transient_table_is_transient(route: Route) -> None:
    plan = time_travel_plan(
        dialect=SNOWFLAKE,
        table=table(SNOWFLAKE),
        point=POINTS["timestamp"],
        restore_id="R1",
        route=route,
        transient=True,
    )
    (clone,) = plan.step("clone").sql
    assert clone.startswith(
        'CREATE TRANSIENT TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS__RESTORED_R1" CLONE '
    )
    check_snowflake_sql(clone)


def test_recoverability_carries_the_table_kind() -> None:
    args = {"retention_days": 1, "created_on": NOW - timedelta(days=30), "now": NOW}
    assert snowflake_recoverability(transient=True, target=NOW - timedelta(hours=1), **args).transient
    assert snowflake_recoverability(transient=True, target=NOW - timedelta(days=3), **args).transient
    late = snowflake_recoverability(
        transient=False, target=NOW - timedelta(hours=1), **{**args, "created_on": NOW}
    )
    assert (late.route, late.transient) == ("undrop", False)


@pytest.mark.parametrize(("value", "days"), [(None, 1), ("", 1), (0, 0), ("0", 0), (7, 7), ("90", 90)])
def test_retention_days_reads_zero_as_zero(value: object, days: int) -> None:
    assert retention_days(value) == days


def _cutover(deploy_id: str, colour: str, at: datetime, kind: str = "deploy") -> dict[str, object]:
    return {
        "deploy_id": deploy_id,
        "kind": kind,
        "step": "cutover",
        "status": "succeeded",
        "colour_to": colour,
        "finished_at": at,
    }


def test_colour_live_at_reads_the_journal_cutovers() -> None:
    rows = [
        _cutover("a", "BLUE", NOW - timedelta(hours=5)),
        {"deploy_id": "b", "step": "cutover", "status": "started", "colour_to": "GREEN"},
        _cutover("b", "GREEN", NOW - timedelta(hours=3)),
        _cutover("r", "BLUE", (NOW - timedelta(hours=1)).replace(tzinfo=None), kind="rollback"),  # naive: UTC
    ]
    assert colour_live_at(rows, NOW - timedelta(hours=4), "BLUE") == "BLUE"
    assert colour_live_at(rows, NOW - timedelta(hours=2), "BLUE") == "GREEN"  # the finding H2 case
    assert colour_live_at(rows, NOW, "BLUE") == "BLUE"
    assert colour_live_at(rows, NOW - timedelta(days=1), "GREEN") == "GREEN"  # before any cutover
    assert colour_live_at(rows, None, "GREEN") == "GREEN"  # a query id: its time is unknown


def test_point_time_is_known_for_timestamps_and_offsets_only() -> None:
    assert point_time(POINTS["timestamp"], NOW) == T0
    assert point_time(POINTS["offset"], NOW) == NOW - timedelta(hours=1)
    assert point_time(POINTS["statement"], NOW) is None


def test_a_restore_reads_the_history_of_the_colour_live_then() -> None:
    blue = Relation("ANALYTICS", "MARTS__BLUE", "fct_orders")
    plan = time_travel_plan(
        dialect=SNOWFLAKE, table=table(SNOWFLAKE), point=POINTS["timestamp"], restore_id="R1", source=blue
    )
    (clone,) = plan.step("clone").sql
    assert clone.startswith(
        'CREATE TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS__RESTORED_R1" CLONE "ANALYTICS"."MARTS__BLUE"."FCT_ORDERS" AT'
    )
    assert "live at that time" in plan.step("clone").why
    assert plan.step("restore").sql == (
        'ALTER TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS" SWAP WITH "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS__RESTORED_R1"',
    )
    assert undo(plan, ("clone",)) == (
        'DROP TABLE IF EXISTS "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS__RESTORED_R1"',
    )
    with pytest.raises(ValueError, match="its own history"):
        time_travel_plan(
            dialect=SNOWFLAKE,
            table=table(SNOWFLAKE),
            point=POINTS["timestamp"],
            restore_id="R1",
            route="undrop",
            source=blue,
        )


# --- BEFORE (STATEMENT => <query id>) is checked before it is used (finding L1) ----------------------------

QID = "01b2c3d4-0000-1111-0000-000000000001"


@pytest.mark.parametrize(
    ("query_id", "found", "problem"),
    [
        (QID, QueryFacts(QID, "DELETE", NOW - timedelta(days=2)), None),
        (QID, QueryFacts(QID, "merge", NOW - timedelta(days=13, hours=23)), None),
        (QID, QueryFacts(QID, "DELETE", NOW - timedelta(days=15)), "younger than 14 days"),
        (QID, QueryFacts(QID, "CREATE_TABLE_AS_SELECT", NOW - timedelta(hours=1)), "CREATE TABLE AS SELECT"),
        (QID, None, "not in the query history"),
        ("not-a-query-id", None, "is not a Snowflake query id"),
    ],
)
def test_a_statement_point_must_be_a_young_dml_query(
    query_id: str, found: QueryFacts | None, problem: str | None
) -> None:
    got = statement_point_problem(query_id, found, NOW)
    assert (got is None) if problem is None else (problem in str(got)), got


def test_the_query_history_lookup_passes_the_strict_check() -> None:
    stmt = SNOWFLAKE.time_travel.query_history("ANALYTICS", QID)
    check_snowflake_sql(stmt)
    assert f"WHERE query_id = '{QID}'" in stmt and "DATEADD('day', -14" in stmt
