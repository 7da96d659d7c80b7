"""Slim deploys, pure: the fallback reasons, the carry-over, the plan, the journal record.

Golden files in ``tests/fixtures/sql/slim_deploy/`` hold the carry-over SQL of both engines (``UPDATE_GOLDEN=1``
rewrites them); every Snowflake statement passes the strict static check.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, dump_golden, load_golden

from pipelineops.plan import slim_deploy as slim
from pipelineops.plan.bluegreen_swap import Carried, DeployInputs, Published, build_plan
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "slim_deploy"
DATABASE: dict[Dialect, str] = {DUCKDB: "lake", SNOWFLAKE: "ANALYTICS"}
VARS = '{"pipelineops_colour":"GREEN"}'
NODES = (
    slim.Node("model.p.stg_orders", "stg_orders", "STAGING", "stg_orders", "view"),
    slim.Node("model.p.stg_customers", "stg_customers", "STAGING", "stg_customers", "view"),
    slim.Node("model.p.int_totals", "int_totals", "INTERMEDIATE", "int_totals", "table", transient=False),
    slim.Node("model.p.fct_orders", "fct_orders", "MARTS", "fct_orders", "incremental"),
    slim.Node("model.p.dim_customers", "dim_customers", "MARTS", "dim_customers", "table"),
    slim.Node("seed.p.regions", "regions", "MARTS", "regions", "seed"),
    slim.Node("model.p.rpt", "rpt", "MARTS", "rpt", "view"),
)
LIVE = frozenset(
    {
        ("INTERMEDIATE", "INT_TOTALS"),
        ("MARTS", "FCT_ORDERS"),
        ("MARTS", "DIM_CUSTOMERS"),
        ("MARTS", "REGIONS"),
    }
)
SELECTED = ("model.p.stg_orders", "model.p.fct_orders", "model.p.rpt", "test.p.unique_fct_orders_id")


def manifest(
    *, version: str = "1.11.2", schema: str = "v12", macros: dict[str, str] | None = None, project: str = "p"
) -> dict[str, object]:
    return {
        "metadata": {
            "dbt_version": version,
            "dbt_schema_version": f"https://schemas.getdbt.com/dbt/manifest/{schema}.json",
            "project_name": project,
            "adapter_type": "duckdb",
        },
        "macros": {uid: {"macro_sql": text} for uid, text in (macros or {}).items()},
    }


MACROS = {
    "macro.p.to_units": "{% macro to_units(c) %}{{ c }} / 100{% endmacro %}",
    "macro.dbt.run_query": "{% macro run_query(sql) %}...{% endmacro %}",
    "macro.dbt_duckdb.duckdb__x": "{% macro duckdb__x() %}{% endmacro %}",
    "macro.dbt_utils.star": "{% macro star() %}*{% endmacro %}",
}
INPUTS = slim.inputs_of({"amount_floor": 0}, {"REGION": "eu"})


def reason(**overrides: object) -> str:
    args: dict[str, object] = {
        "requested": "slim",
        "live_manifest": manifest(macros=MACROS),
        "manifest": manifest(macros=MACROS),
        "live_inputs": INPUTS,
        "inputs": INPUTS,
    }
    args.update(overrides)
    return slim.fallback_reason(**args)  # type: ignore[arg-type]


# --- when slim is not safe ---------------------------------------------------------------------------


def test_slim_is_safe_when_nothing_it_cannot_see_changed() -> None:
    assert reason() == ""
    assert reason(live_inputs=None, inputs=slim.Inputs()) == ""


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"requested": "full"}, "--mode full"),
        (
            {"live_manifest": None},
            "no live manifest: nothing is published yet, or the live build stored no manifest",
        ),
        (
            {"live_manifest": manifest(schema="v11", macros=MACROS)},
            "incompatible live manifest: https://schemas.getdbt.com/dbt/manifest/v11.json, this dbt writes "
            "https://schemas.getdbt.com/dbt/manifest/v12.json",
        ),
        (
            {"live_manifest": manifest(project="other", macros=MACROS)},
            "incompatible live manifest: another project or adapter",
        ),
        (
            {"live_manifest": manifest(version="1.10.0", macros=MACROS)},
            "dbt version changed: 1.10.0 → 1.11.2",
        ),
        (
            {"live_manifest": manifest(macros={**MACROS, "macro.dbt.run_query": "old"})},
            "dbt or adapter version changed (macros of dbt differ)",
        ),
        (
            {"live_manifest": manifest(macros={**MACROS, "macro.dbt_duckdb.duckdb__x": "old"})},
            "dbt or adapter version changed (macros of dbt_duckdb differ)",
        ),
        (
            {"live_manifest": manifest(macros={k: v for k, v in MACROS.items() if "utils" not in k})},
            "packages changed: dbt_utils",
        ),
        (
            {"live_manifest": manifest(macros={**MACROS, "macro.p.to_units": "old"})},
            "macros changed: to_units",
        ),
        ({"large_seeds": ("seed.p.big",)}, "seeds over 1 MiB are compared by path only: seed.p.big"),
        ({"live_inputs": None}, "the live deploy recorded no vars or env_var() values to compare with"),
        (
            {"inputs": slim.inputs_of({"amount_floor": 5}, {"REGION": "eu"})},
            "dbt_project.yml vars changed: amount_floor (state:modified does not see var values)",
        ),
        (
            {"inputs": slim.inputs_of({"amount_floor": 0}, {"REGION": None})},
            "env_var() inputs changed: REGION (state:modified does not see their values)",
        ),
    ],
)
def test_each_fallback_reason(overrides: dict[str, object], expected: str) -> None:
    assert reason(**overrides) == expected


def test_dbt_utils_is_a_package_not_dbt_itself() -> None:
    """``dbt_utils`` starts like an adapter package; only the macros of dbt and ``dbt_<adapter>`` mean a dbt
    upgrade. Here both changed: dbt's own wins the message."""
    live = manifest(macros={**MACROS, "macro.dbt.run_query": "old", "macro.dbt_utils.star": "old"})
    assert reason(live_manifest=live).startswith("dbt or adapter version changed")


def test_many_changed_names_are_shortened() -> None:
    names = {f"macro.p.m{i}": "x" for i in range(7)}
    assert reason(live_manifest=manifest(macros=MACROS), manifest=manifest(macros={**MACROS, **names})) == (
        "macros changed: m0, m1, m2, m3, m4 and 2 more"
    )


def test_inputs_are_digests_never_values() -> None:
    inputs = slim.inputs_of({"secretish": "hunter2"}, {"TOKEN": "abc"})
    assert "hunter2" not in repr(inputs) and "abc" not in json.dumps(dict(inputs.env))
    assert slim.changed(inputs.vars, slim.inputs_of({"secretish": "hunter2"}, {}).vars) == ()
    assert slim.changed((("a", "1"),), (("b", "1"),)) == ("a", "b")


# --- the carry-over ----------------------------------------------------------------------------------


def test_carry_over_copies_unmodified_tables_and_re_creates_unmodified_views() -> None:
    carry = slim.carry_over(NODES, SELECTED, LIVE)
    assert isinstance(carry, slim.CarryOver)
    assert carry.built == ("model.p.fct_orders", "model.p.rpt", "model.p.stg_orders")
    assert carry.tables == (
        Carried("INTERMEDIATE", "int_totals", transient=False),
        Carried("MARTS", "dim_customers"),
        Carried("MARTS", "regions"),
    )
    assert carry.views == ("stg_customers",)


def test_a_relation_missing_from_the_live_colour_means_a_full_deploy() -> None:
    found = slim.carry_over(NODES, SELECTED, LIVE - {("MARTS", "REGIONS")})
    assert found == "the live colour lacks 1 unmodified relation(s) to carry over: regions"


def test_a_materialisation_that_cannot_be_carried_means_a_full_deploy() -> None:
    nodes = (*NODES, slim.Node("model.p.mv", "mv", "MARTS", "mv", "materialized_view"))
    assert slim.carry_over(nodes, SELECTED, LIVE) == (
        "materialisations a slim deploy does not carry over: mv (materialized_view)"
    )


# --- the plan ----------------------------------------------------------------------------------------


def second_deploy(dialect: Dialect) -> DeployInputs:
    return DeployInputs(
        environment="prod",
        dialect=dialect,
        database=DATABASE[dialect],
        live="BLUE",
        consumer_schemas=("MARTS",),
        dbt_target="prod",
        published=(
            Published("MARTS", "fct_orders"),
            Published("MARTS", "dim_customers"),
            Published("MARTS", "rpt"),
        ),
        existing_views={"MARTS": ("fct_orders", "dim_customers", "rpt")},
        incremental_in_live=(Carried("MARTS", "fct_orders"),),
    )


def slim_plan(dialect: Dialect) -> slim.Plan:
    carry = slim.carry_over(NODES, SELECTED, LIVE)
    assert isinstance(carry, slim.CarryOver)
    return slim.slim_plan(
        build_plan(second_deploy(dialect)),
        carry,
        database=DATABASE[dialect],
        live="BLUE",
        idle="GREEN",
        state_dir="/w/deploy-state",
        vars_json=VARS,
        idle_views=frozenset({("MARTS", "REGIONS")}),
    )


def test_slim_plan_builds_state_modified_and_the_unmodified_views() -> None:
    plan = slim_plan(DUCKDB)
    assert plan.step("build").dbt_args == (
        "build",
        "--select",
        "state:modified+",
        "stg_customers",
        "--state",
        "/w/deploy-state",
        "--vars",
        VARS,
    )
    assert "only state:modified+ (3 node(s)" in plan.step("build").why
    assert dict(plan.facts)["mode"] == "slim: 3 built, 3 carried, 1 views re-created"
    assert [s.name for s in plan.steps] == [s.name for s in build_plan(second_deploy(DUCKDB)).steps]


def test_slim_plan_keeps_every_other_step() -> None:
    full = build_plan(second_deploy(SNOWFLAKE))
    plan = slim_plan(SNOWFLAKE)
    for before, after in zip(full.steps, plan.steps, strict=True):
        if before.name not in ("prepare", "build"):
            assert before == after


def test_the_carry_over_commits_once_on_the_local_engine() -> None:
    assert slim_plan(DUCKDB).step("prepare").transactional
    assert not slim_plan(SNOWFLAKE).step("prepare").transactional


def test_the_incremental_copy_is_not_repeated() -> None:
    prepare = slim_plan(DUCKDB).step("prepare").sql
    assert len(prepare) == len(set(prepare))
    assert sum("fct_orders" in s for s in prepare) == 1


def test_ls_args_select_relations_only() -> None:
    args = slim.ls_args("/s", VARS)
    assert args[:5] == ("ls", "--select", "state:modified+", "--state", "/s")
    assert [args[i + 1] for i, a in enumerate(args) if a == "--resource-type"] == [
        "model",
        "seed",
        "snapshot",
    ]


def test_full_facts_names_the_reason() -> None:
    plan = build_plan(second_deploy(DUCKDB))
    assert dict(slim.full_facts(plan, "--mode full").facts)["mode"] == "full (--mode full)"
    assert dict(slim.full_facts(plan, "").facts)["mode"] == "full"


# --- golden SQL ----------------------------------------------------------------------------------------


def expected_cases(dialect: Dialect) -> list[GoldenCase]:
    path = GOLDEN_DIR / f"{dialect}.sql"
    meta = {
        "case": "carry_over__prepare",
        "dialect": dialect.name,
        "scenario": "BLUE live; GREEN carries int_totals (permanent), dim_customers, regions (replacing a view)",
        "step": "prepare",
    }
    return [GoldenCase(path, 0, meta, "\n".join(f"{s};" for s in slim_plan(dialect).step("prepare").sql))]


@pytest.mark.parametrize("dialect", [DUCKDB, SNOWFLAKE])
def test_carry_over_matches_golden_sql(dialect: Dialect) -> None:
    expected = expected_cases(dialect)
    path = GOLDEN_DIR / f"{dialect}.sql"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_golden(expected), encoding="utf-8")
    golden = {case.name: case for case in load_golden(path)}
    assert list(golden) == [case.name for case in expected]
    for case in expected:
        assert golden[case.name].meta == case.meta
        assert_golden(golden[case.name], case.sql)


def test_snowflake_carry_over_passes_the_strict_check_and_keeps_table_kinds() -> None:
    from tests.sqlcheck.snowflake_check import check_snowflake_sql

    stmts = [line for case in load_golden(GOLDEN_DIR / "snowflake.sql") for line in case.sql.splitlines()]
    for stmt in stmts:
        check_snowflake_sql(stmt.rstrip(";"))
    clones = [s for s in stmts if " CLONE " in s]
    assert clones == [
        'CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS" CLONE "ANALYTICS"."MARTS__BLUE"."FCT_ORDERS";',
        'CREATE OR REPLACE TABLE "ANALYTICS"."INTERMEDIATE__GREEN"."INT_TOTALS" CLONE "ANALYTICS"."INTERMEDIATE__BLUE"."INT_TOTALS";',
        'CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."MARTS__GREEN"."DIM_CUSTOMERS" CLONE "ANALYTICS"."MARTS__BLUE"."DIM_CUSTOMERS";',
        'CREATE OR REPLACE TRANSIENT TABLE "ANALYTICS"."MARTS__GREEN"."REGIONS" CLONE "ANALYTICS"."MARTS__BLUE"."REGIONS";',
    ]
    assert 'DROP VIEW IF EXISTS "ANALYTICS"."MARTS__GREEN"."REGIONS";' in stmts


# --- the journal record ---------------------------------------------------------------------------------


def test_record_round_trips_through_the_journal_detail() -> None:
    rec = slim.ModeRecord("slim", built=3, carried=4, views=1, built_names=("a", "b", "c"), inputs=INPUTS)
    rows = [
        {"deploy_id": "d1", "step": "prepare", "status": "succeeded", "detail": rec.detail()},
        {"deploy_id": "d1", "step": "build", "status": "succeeded", "detail": "dbt exit 0"},
        {"deploy_id": "d2", "step": "prepare", "status": "succeeded", "detail": "not json"},
    ]
    assert slim.record_of(rows, "d1") == rec
    assert slim.record_of(rows, "d2") is None
    assert slim.read_record('{"deploy_mode": "other"}') is None
    assert slim.read_record("[1]") is None
    assert slim.read_record(None) is None


def test_summary_lines() -> None:
    assert slim.summary(None) == ()
    assert slim.summary(slim.ModeRecord("slim", built=2, carried=5, views=1)) == (
        ("mode", "slim: 2 node(s) built, 5 table(s) carried over, 1 view(s) re-created"),
    )
    assert slim.summary(slim.ModeRecord("full", "--mode full", built=9)) == (
        ("mode", "full: 9 node(s) built"),
        ("full because", "--mode full"),
    )
    assert slim.summary(replace(slim.ModeRecord("full", built=9))) == (("mode", "full: 9 node(s) built"),)
    full = slim.read_record(slim.ModeRecord("full", "x", built=1).detail())
    assert full is not None and full.mode == "full"
