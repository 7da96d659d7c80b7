"""The Plan value and its text rendering (what --dry-run prints)."""

from __future__ import annotations

import dataclasses

import pytest

from pipelineops.plan.sql import DUCKDB, SNOWFLAKE
from pipelineops.plan.steps import Plan, Step, render_plan

PLAN = Plan(
    stage="bluegreen-swap",
    dialect=DUCKDB,
    steps=(
        Step("lock", "take the lock", action="note"),
        Step("build", "dbt builds BLUE", action="dbt", dbt_args=("build", "--vars", '{"c":"BLUE"}')),
        Step("cutover", "publish BLUE", sql=("CREATE VIEW a", "DROP VIEW b"), transactional=True),
        Step("swap", "swap", sql=("ALTER SCHEMA x SWAP WITH y",)),
    ),
    facts=(("environment", "prod"), ("live colour", "GREEN")),
)


def test_step_defaults() -> None:
    step = Step("n", "why")
    assert (step.action, step.sql, step.dbt_args, step.transactional, step.inverse, step.journal) == (
        "sql",
        (),
        (),
        False,
        (),
        True,
    )


def test_plan_and_steps_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLAN.steps[0].name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLAN.stage = "other"  # type: ignore[misc]


def test_step_lookup_and_statement_count() -> None:
    assert PLAN.step("cutover").transactional
    assert PLAN.statement_count("cutover") == 2
    assert PLAN.statement_count("lock") == 0
    with pytest.raises(KeyError, match="nope"):
        PLAN.step("nope")


def test_render_plan_shows_steps_sql_dbt_and_transaction_bounds() -> None:
    assert render_plan(PLAN).splitlines() == [
        "Plan for bluegreen-swap on duckdb (4 steps)",
        "  environment: prod",
        "  live colour: GREEN",
        " 1. lock — take the lock",
        " 2. build — dbt builds BLUE",
        '      dbt build --vars {"c":"BLUE"}',
        " 3. cutover [one transaction] — publish BLUE",
        "      BEGIN;",
        "      CREATE VIEW a;",
        "      DROP VIEW b;",
        "      COMMIT;",
        " 4. swap — swap",
        "      ALTER SCHEMA x SWAP WITH y;",
    ]


def test_render_plan_without_facts_or_steps() -> None:
    assert render_plan(Plan("status", SNOWFLAKE, ())) == "Plan for status on snowflake (0 steps)"
