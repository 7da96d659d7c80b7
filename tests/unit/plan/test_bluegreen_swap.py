"""The blue/green deploy plan: ordered steps and their exact SQL for both engines.

Golden files in ``tests/fixtures/sql/bluegreen_swap/`` hold the SQL of every step (``UPDATE_GOLDEN=1``
rewrites them). On DuckDB the cutover is one transaction holding every view; on Snowflake, where DDL
auto-commits, it is one ``ALTER SCHEMA … SWAP WITH …`` per consumer schema, whatever the model count,
and the reader roles are granted on the shadow schemas before the swap and verified after it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, dump_golden, load_golden

from pipelineops.plan.bluegreen_swap import (
    NO_LOCAL_GRANTS,
    NO_READER_ROLES,
    SHADOW_SUFFIX,
    VERIFY_GRANTS,
    Carried,
    DeployInputs,
    Published,
    base_schema,
    build_plan,
    colour_schema,
    cutover_steps,
    dbt_vars,
    publish_statements,
    verify_grants_step,
)
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect
from pipelineops.plan.steps import Plan

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "bluegreen_swap"
DATABASE: dict[Dialect, str] = {DUCKDB: "lake", SNOWFLAKE: "ANALYTICS"}
PUBLISHED = (
    Published("MARTS", "fct_orders"),
    Published("MARTS", "dim_customers"),
    Published("FINANCE", "fct_revenue"),
)
STEP_ORDER_DUCKDB = [
    "lock",
    "prepare",
    "build",
    "checks",
    "cutover",
    "verify-grants",
    "smoke",
    "publish-manifest",
    "finish",
]
STEP_ORDER_SNOWFLAKE = [
    "lock",
    "prepare",
    "build",
    "checks",
    "prepare-shadow",
    "cutover",
    "verify-grants",
    "smoke",
    "publish-manifest",
    "finish",
]
READER_ROLES = ("PROD_REPORTER", "finance_reader")


def first_deploy(dialect: Dialect, database: str | None = None) -> DeployInputs:
    """Nothing is live yet: BLUE is built; incremental tables have nothing to carry over from."""
    return DeployInputs(
        environment="prod",
        dialect=dialect,
        database=database or DATABASE[dialect],
        live=None,
        consumer_schemas=("MARTS", "FINANCE"),
        dbt_target="prod",
        published=PUBLISHED,
        existing_views={},
        incremental_in_live=(Published("MARTS", "fct_orders"),),
    )


def second_deploy(dialect: Dialect, database: str | None = None) -> DeployInputs:
    """BLUE is live: GREEN is built, two incremental tables carried over, the stale view dropped."""
    return DeployInputs(
        environment="prod",
        dialect=dialect,
        database=database or DATABASE[dialect],
        live="BLUE",
        consumer_schemas=("MARTS", "FINANCE"),
        dbt_target="prod",
        published=PUBLISHED,
        existing_views={"MARTS": ("fct_orders", "dim_customers", "old_revenue"), "FINANCE": ("fct_revenue",)},
        incremental_in_live=(Published("MARTS", "fct_orders"), ("FINANCE", "fct_revenue")),
    )


def reader_roles_deploy(dialect: Dialect, database: str | None = None) -> DeployInputs:
    """The second deploy with two reader roles (layout.reader_roles): grants before, check after the swap."""
    return replace(second_deploy(dialect, database), reader_roles=READER_ROLES)


SCENARIOS: dict[str, tuple[Callable[[Dialect], DeployInputs], str]] = {
    "first_deploy": (first_deploy, "first deploy: nothing live, BLUE built and published"),
    "second_deploy": (
        second_deploy,
        "second deploy: BLUE live, GREEN built with incremental carry-over, stale view old_revenue dropped",
    ),
    "reader_roles": (
        reader_roles_deploy,
        "second deploy with reader roles PROD_REPORTER and FINANCE_READER granted and verified",
    ),
}


# --- golden files (tests/sqlcheck/golden.py format: one case per SQL step of each scenario) -------------


def expected_cases(dialect: Dialect) -> list[GoldenCase]:
    """The golden cases the plans give now: ``<scenario>__<step>``, statements one per line."""
    path = GOLDEN_DIR / f"{dialect}.sql"
    cases = []
    for scenario, (make, description) in SCENARIOS.items():
        for step in build_plan(make(dialect)).steps:
            if step.sql:
                meta = {
                    "case": f"{scenario}__{step.name}",
                    "dialect": dialect.name,
                    "scenario": description,
                    "step": step.name,
                    "transactional": str(step.transactional).lower(),
                }
                cases.append(GoldenCase(path, 0, meta, "\n".join(f"{stmt};" for stmt in step.sql)))
    return cases


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_plan_matches_golden_sql(dialect: Dialect) -> None:
    expected = expected_cases(dialect)
    path = GOLDEN_DIR / f"{dialect}.sql"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_golden(expected), encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with UPDATE_GOLDEN=1 to write it"
    golden = {case.name: case for case in load_golden(path)}
    assert list(golden) == [case.name for case in expected]
    for case in expected:
        assert golden[case.name].meta == case.meta, golden[case.name]
        assert_golden(golden[case.name], case.sql)


def test_golden_directory_holds_one_file_per_dialect() -> None:
    assert sorted(p.name for p in GOLDEN_DIR.iterdir()) == ["duckdb.sql", "snowflake.sql"]
    names = [c.name for c in load_golden(GOLDEN_DIR / "snowflake.sql")]
    assert names == [
        "first_deploy__prepare",
        "first_deploy__prepare-shadow",
        "first_deploy__cutover",
        "second_deploy__prepare",
        "second_deploy__prepare-shadow",
        "second_deploy__cutover",
        "reader_roles__prepare",
        "reader_roles__prepare-shadow",
        "reader_roles__cutover",
        "reader_roles__verify-grants",
    ]
    duck = {c.name: c.meta["transactional"] for c in load_golden(GOLDEN_DIR / "duckdb.sql")}
    assert duck == {
        "first_deploy__prepare": "false",
        "first_deploy__cutover": "true",
        "second_deploy__prepare": "false",
        "second_deploy__cutover": "true",
        "reader_roles__prepare": "false",
        "reader_roles__cutover": "true",
    }


# --- shape of the plan --------------------------------------------------------------------------------


def test_step_order_per_dialect() -> None:
    assert [s.name for s in build_plan(second_deploy(DUCKDB)).steps] == STEP_ORDER_DUCKDB
    assert [s.name for s in build_plan(second_deploy(SNOWFLAKE)).steps] == STEP_ORDER_SNOWFLAKE


def test_first_deploy_builds_blue_and_carries_nothing_over() -> None:
    inputs = first_deploy(DUCKDB)
    assert inputs.idle == "BLUE"
    plan = build_plan(inputs)
    assert plan.step("prepare").sql == (
        'CREATE SCHEMA IF NOT EXISTS "lake"."MARTS__BLUE"',
        'CREATE SCHEMA IF NOT EXISTS "lake"."FINANCE__BLUE"',
    )
    assert dict(plan.facts) == {
        "environment": "prod",
        "live colour": "none (first deploy)",
        "idle colour (to build)": "BLUE",
        "published relations": "3",
    }
    assert "readers keep reading nothing yet" in plan.step("build").why


@pytest.mark.parametrize(("live", "idle"), [(None, "BLUE"), ("BLUE", "GREEN"), ("GREEN", "BLUE")])
def test_idle_colour_is_the_other_one(live: str | None, idle: str) -> None:
    inputs = replace(second_deploy(DUCKDB), live=live)  # type: ignore[arg-type]
    assert inputs.idle == idle
    plan = build_plan(inputs)
    assert plan.step("build").dbt_args == ("build", "--vars", f'{{"pipelineops_colour":"{idle}"}}')
    assert all(f"__{idle}" in stmt for stmt in plan.step("prepare").sql if "SCHEMA" in stmt)


def test_incremental_tables_are_carried_over_from_live_to_idle() -> None:
    duck = build_plan(second_deploy(DUCKDB)).step("prepare").sql
    assert duck == (
        'CREATE SCHEMA IF NOT EXISTS "lake"."MARTS__GREEN"',
        'CREATE SCHEMA IF NOT EXISTS "lake"."FINANCE__GREEN"',
        'CREATE OR REPLACE TABLE "lake"."MARTS__GREEN"."fct_orders" AS SELECT * FROM "lake"."MARTS__BLUE"."fct_orders"',
        'CREATE OR REPLACE TABLE "lake"."FINANCE__GREEN"."fct_revenue" AS SELECT * FROM "lake"."FINANCE__BLUE"."fct_revenue"',
    )  # the schema statements are not repeated for the carried-over tables
    snow = build_plan(second_deploy(SNOWFLAKE)).step("prepare").sql
    assert snow[2] == (  # dbt-snowflake's default table kind: a transient clone (002120 otherwise)
        'CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS" CLONE "ANALYTICS"."MARTS__BLUE"."FCT_ORDERS"'
    )


def test_carried_over_clone_keeps_the_kind_of_the_live_table() -> None:
    inputs = replace(
        second_deploy(SNOWFLAKE),
        incremental_in_live=(
            Carried("MARTS", "fct_orders", transient=False),
            Carried("FINANCE", "fct_revenue"),
        ),
    )
    assert build_plan(inputs).step("prepare").sql[2:] == (
        'CREATE OR REPLACE TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS" CLONE "ANALYTICS"."MARTS__BLUE"."FCT_ORDERS"',
        'CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."FINANCE__GREEN"."FCT_REVENUE" CLONE "ANALYTICS"."FINANCE__BLUE"."FCT_REVENUE"',
    )


def test_carried_over_table_outside_the_consumer_schemas_gets_its_schema() -> None:
    inputs = replace(second_deploy(DUCKDB), incremental_in_live=(("INTERMEDIATE", "int_lines"),))
    assert build_plan(inputs).step("prepare").sql[2:] == (
        'CREATE SCHEMA IF NOT EXISTS "lake"."INTERMEDIATE__GREEN"',
        'CREATE OR REPLACE TABLE "lake"."INTERMEDIATE__GREEN"."int_lines" AS SELECT * FROM "lake"."INTERMEDIATE__BLUE"."int_lines"',
    )


def test_build_step_passes_extra_dbt_args_after_the_colour() -> None:
    inputs = replace(second_deploy(DUCKDB), extra_dbt_args=("--target", "prod", "--fail-fast"))
    assert build_plan(inputs).step("build").dbt_args == (
        "build",
        "--vars",
        '{"pipelineops_colour":"GREEN"}',
        "--target",
        "prod",
        "--fail-fast",
    )


def test_only_the_sql_steps_carry_sql() -> None:
    plan = build_plan(second_deploy(SNOWFLAKE))
    assert {s.name: s.action for s in plan.steps if s.action != "sql"} == {
        "lock": "note",
        "build": "dbt",
        "checks": "check",
        "verify-grants": "check",
        "smoke": "check",
        "finish": "note",
    }
    for step in plan.steps:
        assert bool(step.sql) == (step.name in ("prepare", "prepare-shadow", "cutover")), step.name
    with_roles = build_plan(reader_roles_deploy(SNOWFLAKE))
    assert [s.name for s in with_roles.steps if s.sql] == [
        "prepare",
        "prepare-shadow",
        "cutover",
        VERIFY_GRANTS,
    ]


# --- DuckDB: one transaction holds the whole cutover ------------------------------------------------------


def test_duckdb_cutover_is_one_transactional_step_with_every_view() -> None:
    plan = build_plan(second_deploy(DUCKDB))
    transactional = [s for s in plan.steps if s.transactional]
    assert [s.name for s in transactional] == ["cutover"]
    cutover = plan.step("cutover")
    assert cutover.sql == (
        'CREATE SCHEMA IF NOT EXISTS "lake"."MARTS"',
        'CREATE OR REPLACE VIEW "lake"."MARTS"."fct_orders" AS SELECT * FROM "lake"."MARTS__GREEN"."fct_orders"',
        'CREATE OR REPLACE VIEW "lake"."MARTS"."dim_customers" AS SELECT * FROM "lake"."MARTS__GREEN"."dim_customers"',
        'DROP VIEW IF EXISTS "lake"."MARTS"."old_revenue"',
        'CREATE SCHEMA IF NOT EXISTS "lake"."FINANCE"',
        'CREATE OR REPLACE VIEW "lake"."FINANCE"."fct_revenue" AS SELECT * FROM "lake"."FINANCE__GREEN"."fct_revenue"',
    )
    assert "re-point 3 consumer views" in cutover.why
    assert not any("SWAP" in s for s in cutover.sql)


def test_duckdb_stale_view_match_is_case_insensitive() -> None:
    inputs = replace(second_deploy(DUCKDB), existing_views={"MARTS": ("FCT_ORDERS", "Old_Revenue")})
    drops = [s for s in build_plan(inputs).step("cutover").sql if s.startswith("DROP")]
    assert drops == ['DROP VIEW IF EXISTS "lake"."MARTS"."Old_Revenue"']


def test_duckdb_cutover_statements_grow_with_models_in_one_step() -> None:
    for n in (5, 500):
        published = tuple(Published("MARTS", f"model_{i}") for i in range(n))
        plan = build_plan(replace(first_deploy(DUCKDB), published=published))
        assert plan.statement_count("cutover") == n + 2  # a view each, plus CREATE SCHEMA per consumer schema
        assert sum(1 for s in plan.steps if s.transactional) == 1


# --- Snowflake: shadow schemas, then one SWAP per consumer schema ----------------------------------------


def test_snowflake_cutover_is_one_swap_per_consumer_schema() -> None:
    plan = build_plan(second_deploy(SNOWFLAKE))
    assert not any(s.transactional for s in plan.steps)  # DDL auto-commits: no pretend transaction
    assert plan.step("cutover").sql == (
        'ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WITH "ANALYTICS"."MARTS__NEXT"',
        'ALTER SCHEMA "ANALYTICS"."FINANCE" SWAP WITH "ANALYTICS"."FINANCE__NEXT"',
    )
    assert "one atomic SWAP per consumer schema" in plan.step("cutover").why


def test_snowflake_shadow_schemas_are_clones_of_the_consumer_schemas_with_the_new_views() -> None:
    shadow = build_plan(second_deploy(SNOWFLAKE)).step("prepare-shadow").sql
    assert shadow == (
        'CREATE SCHEMA IF NOT EXISTS "ANALYTICS"."MARTS"',
        # a clone keeps the grants on the consumer views (finding M3); the stale view is dropped from it
        'CREATE OR REPLACE SCHEMA "ANALYTICS"."MARTS__NEXT" CLONE "ANALYTICS"."MARTS"',
        'DROP VIEW IF EXISTS "ANALYTICS"."MARTS__NEXT"."OLD_REVENUE"',
        'CREATE OR REPLACE VIEW "ANALYTICS"."MARTS__NEXT"."FCT_ORDERS" COPY GRANTS AS SELECT * FROM "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS"',
        'CREATE OR REPLACE VIEW "ANALYTICS"."MARTS__NEXT"."DIM_CUSTOMERS" COPY GRANTS AS SELECT * FROM "ANALYTICS"."MARTS__GREEN"."DIM_CUSTOMERS"',
        'CREATE SCHEMA IF NOT EXISTS "ANALYTICS"."FINANCE"',
        'CREATE OR REPLACE SCHEMA "ANALYTICS"."FINANCE__NEXT" CLONE "ANALYTICS"."FINANCE"',
        'CREATE OR REPLACE VIEW "ANALYTICS"."FINANCE__NEXT"."FCT_REVENUE" COPY GRANTS AS SELECT * FROM "ANALYTICS"."FINANCE__GREEN"."FCT_REVENUE"',
    )
    assert "future grants" in build_plan(second_deploy(SNOWFLAKE)).step("prepare-shadow").why


def test_a_new_consumer_view_is_created_without_copy_grants_so_future_grants_apply() -> None:
    first = build_plan(first_deploy(SNOWFLAKE)).step("prepare-shadow").sql
    views = [s for s in first if s.startswith("CREATE OR REPLACE VIEW")]
    assert views and not any("COPY GRANTS" in s for s in views)


@pytest.mark.parametrize("schemas", [("MARTS",), ("MARTS", "FINANCE"), ("MARTS", "FINANCE", "SALES")])
def test_snowflake_cutover_count_is_the_same_for_5_and_500_models(schemas: tuple[str, ...]) -> None:
    counts = {}
    for n in (5, 500):
        published = tuple(Published(schemas[i % len(schemas)], f"model_{i}") for i in range(n))
        plan = build_plan(
            replace(
                second_deploy(SNOWFLAKE), consumer_schemas=schemas, published=published, existing_views={}
            )
        )
        counts[n] = plan.statement_count("cutover")
        assert all(s.startswith("ALTER SCHEMA ") and " SWAP WITH " in s for s in plan.step("cutover").sql)
        assert plan.statement_count("prepare-shadow") == n + 2 * len(schemas)  # + CREATE, CLONE per schema
    assert counts[5] == counts[500] == len(schemas)


def test_every_snowflake_statement_passes_the_strict_check() -> None:
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    checked = 0
    for make in (first_deploy, second_deploy, reader_roles_deploy):
        for step in build_plan(make(SNOWFLAKE)).steps:
            for stmt in step.sql:
                check_snowflake_sql(stmt)
                checked += 1
    # the second deploy: 13 and the stale view dropped from the clone; the reader-roles plan: those 14,
    # 2 grants x 2 roles x 2 schemas, SHOW GRANTS on 2 schemas and to 2 roles
    assert checked == 11 + 14 + (14 + 8 + 4)


def test_snowflake_golden_files_pass_the_strict_check() -> None:
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    cases = load_golden(GOLDEN_DIR / "snowflake.sql")
    stmts = [line for case in cases for line in case.sql.splitlines()]
    assert len(stmts) == 11 + 14 + (14 + 8 + 4)
    for stmt in stmts:
        assert stmt.endswith(";"), stmt
        check_snowflake_sql(stmt)


def test_snowflake_strict_check_catches_a_broken_swap() -> None:
    """The check the plan relies on really rejects a typo (so the test above can fail)."""
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    with pytest.raises(AssertionError):
        check_snowflake_sql('ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WTIH "ANALYTICS"."MARTS__NEXT"')


# --- the shared pieces: cutover_steps (deploys and rollbacks), names, vars --------------------------------


def test_cutover_steps_for_a_rollback_republish_the_given_colour() -> None:
    steps = cutover_steps(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        colour="BLUE",
        consumer_schemas=("MARTS",),
        published=PUBLISHED,
        existing_views={},
        why="rollback to d1",
    )
    assert [s.name for s in steps] == ["prepare-shadow", "cutover"]
    assert steps[1].why == "rollback to d1 — one atomic SWAP per consumer schema"
    assert all('"MARTS__BLUE"' in s for s in steps[0].sql if "VIEW" in s)
    assert not any("FINANCE" in s for s in steps[0].sql)  # only the consumer schemas asked for
    (duck,) = cutover_steps(
        dialect=DUCKDB,
        database="lake",
        colour="BLUE",
        consumer_schemas=("MARTS",),
        published=PUBLISHED,
        existing_views={"FINANCE": ("fct_revenue",)},
        why="rollback to d1",
    )
    assert duck.transactional and duck.why == "rollback to d1"
    assert not any("FINANCE" in s for s in duck.sql)


def test_publish_statements_select_one_consumer_schema() -> None:
    stmts = publish_statements(
        dialect=DUCKDB, database="lake", colour="GREEN", published=PUBLISHED, schema="FINANCE", into="X"
    )
    assert stmts == [
        'CREATE OR REPLACE VIEW "lake"."X"."fct_revenue" AS SELECT * FROM "lake"."FINANCE__GREEN"."fct_revenue"'
    ]


def test_colour_and_base_schema_names() -> None:
    assert colour_schema("marts", "GREEN") == "MARTS__GREEN"
    assert base_schema("MARTS__GREEN") == ("MARTS", "GREEN")
    assert base_schema("marts__blue") == ("MARTS", "BLUE")
    assert base_schema("MARTS") == ("MARTS", None)
    assert base_schema("MARTS__NEXT") == ("MARTS__NEXT", None)
    assert SHADOW_SUFFIX == "__NEXT"


def test_dbt_vars_are_compact_sorted_json() -> None:
    assert dbt_vars({"b": 1, "a": "x y"}) == '{"a":"x y","b":1}'
    assert dbt_vars({}) == "{}"


def test_bad_names_never_reach_sql() -> None:
    from pipelineops.errors import UserError

    with pytest.raises(UserError):
        build_plan(replace(second_deploy(SNOWFLAKE), published=(Published("MARTS", 'x"; DROP'),)))
    with pytest.raises(UserError):
        build_plan(replace(second_deploy(DUCKDB), consumer_schemas=("MARTS\u0410",)))


# --- the DuckDB plan runs for real: prepare, a stand-in for dbt, the one-transaction cutover ------------


def _tables(con: duckdb.DuckDBPyConnection, colour: str, orders: int) -> None:
    """What ``dbt build`` leaves in a colour: the three relations, with ``orders`` rows in fct_orders."""
    con.execute(f'CREATE TABLE IF NOT EXISTS lake."MARTS__{colour}".fct_orders (id INT, colour VARCHAR)')
    con.execute(  # an incremental run appends after the rows it carried over
        f"INSERT INTO lake.\"MARTS__{colour}\".fct_orders SELECT range + 100 * {len(colour)}, '{colour}' "
        f"FROM range({orders})"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE lake.\"MARTS__{colour}\".dim_customers AS SELECT '{colour}' AS colour"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE lake.\"FINANCE__{colour}\".fct_revenue AS SELECT '{colour}' AS colour"
    )


def _run(con: duckdb.DuckDBPyConnection, plan: Plan, name: str) -> None:
    step = plan.step(name)
    con.execute("BEGIN TRANSACTION") if step.transactional else None
    for stmt in step.sql:
        con.execute(stmt)
    con.execute("COMMIT") if step.transactional else None


def _colours(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The colours the consumer views read (fct_orders by its newest rows: it carries older ones over)."""
    return {
        row[0]
        for query in (
            'SELECT colour FROM lake."MARTS".fct_orders ORDER BY id DESC LIMIT 1',
            'SELECT colour FROM lake."MARTS".dim_customers',
            'SELECT colour FROM lake."FINANCE".fct_revenue',
        )
        for row in con.execute(query).fetchall()
    }


def test_duckdb_plans_run_and_the_cutover_is_all_or_nothing() -> None:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS lake")
    first = build_plan(first_deploy(DUCKDB))
    _run(con, first, "prepare")
    _tables(con, "BLUE", orders=3)
    _run(con, first, "cutover")
    assert _colours(con) == {"BLUE"}
    con.execute('CREATE VIEW lake."MARTS".old_revenue AS SELECT 1 AS x')

    second = build_plan(second_deploy(DUCKDB))
    _run(con, second, "prepare")
    carried = con.execute('SELECT count(*) FROM lake."MARTS__GREEN".fct_orders').fetchone()
    assert carried == (3,)  # the incremental table continues from the live rows
    _tables(con, "GREEN", orders=2)

    # a cutover that fails half-way leaves readers on BLUE: one transaction, rolled back
    broken = (
        *second.step("cutover").sql[:3],
        'CREATE OR REPLACE VIEW lake."MARTS".x AS SELECT * FROM nowhere',
    )
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.Error):
        for stmt in broken:
            con.execute(stmt)
    con.execute("ROLLBACK")
    assert _colours(con) == {"BLUE"}

    _run(con, second, "cutover")
    assert _colours(con) == {"GREEN"}
    assert con.execute('SELECT count(*) FROM lake."MARTS".fct_orders').fetchone() == (5,)
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = 'MARTS' ORDER BY 1"
    ).fetchall()
    assert views == [("dim_customers",), ("fct_orders",)]  # old_revenue is gone
    con.close()


# --- reader grants: granted in the shadow schema before the swap, verified after it ---------------------


def test_snowflake_shadow_schemas_grant_every_reader_role_after_the_views() -> None:
    plan = build_plan(reader_roles_deploy(SNOWFLAKE))
    shadow = plan.step("prepare-shadow").sql
    without = build_plan(second_deploy(SNOWFLAKE)).step("prepare-shadow").sql
    assert [s for s in shadow if not s.startswith("GRANT ")] == list(without)  # nothing else changes
    marts_views = [
        i for i, s in enumerate(shadow) if s.startswith('CREATE OR REPLACE VIEW "ANALYTICS"."MARTS__NEXT"')
    ]
    assert shadow[marts_views[-1] + 1 : marts_views[-1] + 5] == (
        'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT SELECT ON ALL VIEWS IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "FINANCE_READER"',
        'GRANT SELECT ON ALL VIEWS IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "FINANCE_READER"',
    )
    assert shadow[-4:] == (
        'GRANT USAGE ON SCHEMA "ANALYTICS"."FINANCE__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT SELECT ON ALL VIEWS IN SCHEMA "ANALYTICS"."FINANCE__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT USAGE ON SCHEMA "ANALYTICS"."FINANCE__NEXT" TO ROLE "FINANCE_READER"',
        'GRANT SELECT ON ALL VIEWS IN SCHEMA "ANALYTICS"."FINANCE__NEXT" TO ROLE "FINANCE_READER"',
    )
    assert "PROD_REPORTER, finance_reader granted USAGE and SELECT" in plan.step("prepare-shadow").why
    # grants ride the swap: the cutover is still one SWAP per consumer schema
    assert plan.step("cutover").sql == build_plan(second_deploy(SNOWFLAKE)).step("cutover").sql


def test_snowflake_verify_grants_shows_the_grants_of_each_consumer_schema_after_the_swap() -> None:
    plan = build_plan(reader_roles_deploy(SNOWFLAKE))
    names = [s.name for s in plan.steps]
    assert names.index("cutover") < names.index(VERIFY_GRANTS) < names.index("smoke")
    step = plan.step(VERIFY_GRANTS)
    assert step.action == "check"
    assert step.sql == (
        'SHOW GRANTS ON SCHEMA "ANALYTICS"."MARTS"',
        'SHOW GRANTS ON SCHEMA "ANALYTICS"."FINANCE"',
        'SHOW GRANTS TO ROLE "PROD_REPORTER"',
        'SHOW GRANTS TO ROLE "FINANCE_READER"',
    )
    assert "PROD_REPORTER, finance_reader must hold USAGE on each consumer schema and SELECT" in step.why


@pytest.mark.parametrize(
    ("dialect", "roles", "why"),
    [
        (DUCKDB, READER_ROLES, NO_LOCAL_GRANTS),
        (DUCKDB, (), NO_LOCAL_GRANTS),
        (SNOWFLAKE, (), NO_READER_ROLES),
    ],
)
def test_verify_grants_has_nothing_to_run_without_grants(
    dialect: Dialect, roles: tuple[str, ...], why: str
) -> None:
    step = verify_grants_step(
        dialect=dialect, database=DATABASE[dialect], consumer_schemas=("MARTS",), reader_roles=roles
    )
    assert (step.name, step.sql, step.why) == (VERIFY_GRANTS, (), why)
    assert NO_LOCAL_GRANTS == "the local engine has no grants"


def test_duckdb_plan_ignores_reader_roles() -> None:
    with_roles = build_plan(reader_roles_deploy(DUCKDB))
    without = build_plan(second_deploy(DUCKDB))
    assert [(s.name, s.sql) for s in with_roles.steps] == [(s.name, s.sql) for s in without.steps]
    assert not any("GRANT" in stmt for step in with_roles.steps for stmt in step.sql)


def test_grant_sql_is_snowflake_only_and_validates_the_role() -> None:
    from pipelineops.errors import UserError
    from pipelineops.plan import sql

    assert sql.replace_schema("ANALYTICS", "MARTS__NEXT", SNOWFLAKE) == (
        'CREATE OR REPLACE SCHEMA "ANALYTICS"."MARTS__NEXT"'
    )
    assert (
        sql.replace_schema("lake", "MARTS__NEXT", DUCKDB) == 'CREATE OR REPLACE SCHEMA "lake"."MARTS__NEXT"'
    )
    for fn in (sql.grant_schema_usage, sql.grant_select_on_all_views):
        with pytest.raises(ValueError, match=r"needs an engine with grants|has no schema"):
            fn("lake", "MARTS", "REPORTER", DUCKDB)
        with pytest.raises(UserError, match="not a plain identifier"):
            fn("ANALYTICS", "MARTS", 'R" TO ROLE "ACCOUNTADMIN', SNOWFLAKE)
    with pytest.raises(ValueError, match=r"needs an engine with grants|has no schema"):
        sql.show_grants_on_schema("lake", "MARTS", DUCKDB)
    with pytest.raises(UserError, match="not a plain identifier"):
        sql.show_grants_on_schema("ANALYTICS", "MARTS; DROP", SNOWFLAKE)


def test_snowflake_strict_check_catches_misspelt_grants() -> None:
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    for bad in (
        'GRANT USGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT SELCT ON ALL VIEWS IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE prod_reporter',
        'SHOW GRANT ON SCHEMA "ANALYTICS"."MARTS"',
    ):
        with pytest.raises(AssertionError):
            check_snowflake_sql(bad)


def test_rollback_cutover_can_grant_the_reader_roles_too() -> None:
    prepare, _ = cutover_steps(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        colour="BLUE",
        consumer_schemas=("MARTS",),
        published=PUBLISHED,
        existing_views={},
        why="smoke failed: re-publish BLUE",
        reader_roles=("PROD_REPORTER",),
    )
    assert prepare.sql[-2:] == (
        'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
        'GRANT SELECT ON ALL VIEWS IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"',
    )
