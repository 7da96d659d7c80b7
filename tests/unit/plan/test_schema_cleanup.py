"""The cleanup decision: which PR schemas to drop and why; nothing outside the pattern, ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipelineops.plan.schema_cleanup import (
    Decision,
    SchemaFact,
    cleanup_plan,
    ignored,
    pr_decisions,
    pr_numbers,
    sweep_decisions,
)
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _fact(name: str, hours: float | None) -> SchemaFact:
    return SchemaFact(name, None if hours is None else NOW - timedelta(hours=hours))


SCHEMAS = (
    _fact("CI_PR_1", 2),
    _fact("CI_PR_1_MARTS", 2),
    _fact("CI_PR_2", 500),
    _fact("CI_PR_3_STAGING", 10),
    _fact("CI_PR_4", 1),
    _fact("CI_PR_5", None),
    _fact("CI_PR_6", None),
    _fact("CI_PR_7-OLD", 9999),
    _fact("CI_PRX", 9999),
    _fact("CI_PR_0", 9999),
)


def _by_schema(decisions: tuple[Decision, ...]) -> dict[str, tuple[str, str]]:
    return {d.schema: (d.verdict, d.reason) for d in decisions}


def test_sweep_drops_closed_missing_and_old_keeps_open_and_unknown() -> None:
    states = {1: "closed", 2: "open", 3: "missing", 4: "open", 6: "closed"}
    got = _by_schema(sweep_decisions(SCHEMAS, states, now=NOW, max_age_hours=168))
    assert got == {
        "CI_PR_1": ("drop", "PR #1 is closed"),
        "CI_PR_1_MARTS": ("drop", "PR #1 is closed"),
        "CI_PR_2": ("drop", "older than cleanup.max_age_hours (500 h > 168 h)"),
        "CI_PR_3_STAGING": ("drop", "PR #3 does not exist on GitHub"),
        "CI_PR_4": ("keep", "PR #4 is open, 1 h old"),
        "CI_PR_5": ("keep", "PR #5 state unknown (GitHub not asked), age unknown"),
        "CI_PR_6": ("drop", "PR #6 is closed"),
    }


def test_sweep_never_considers_names_outside_the_pattern() -> None:
    decisions = sweep_decisions(SCHEMAS, {}, now=NOW, max_age_hours=1)
    names = {d.schema for d in decisions}
    assert not names & {"CI_PR_7-OLD", "CI_PRX", "CI_PR_0"}
    assert ignored(SCHEMAS) == tuple(sorted(("CI_PR_0", "CI_PR_7-OLD", "CI_PRX")))


def test_sweep_without_github_applies_the_age_rule_only() -> None:
    got = _by_schema(sweep_decisions(SCHEMAS, {}, now=NOW, max_age_hours=5))
    assert got["CI_PR_3_STAGING"][0] == "drop"
    assert got["CI_PR_1"] == ("keep", "PR #1 state unknown (GitHub not asked), 2 h old")
    assert got["CI_PR_5"][0] == "keep"


def test_age_exactly_at_the_limit_is_kept() -> None:
    got = sweep_decisions((_fact("CI_PR_9", 168),), {9: "open"}, now=NOW, max_age_hours=168)
    assert got[0].verdict == "keep"


def test_pr_numbers_are_the_owners_of_matching_schemas() -> None:
    assert pr_numbers(SCHEMAS) == (1, 2, 3, 4, 5, 6)


def test_pr_mode_drops_only_that_prs_schemas() -> None:
    got = pr_decisions(1, (*SCHEMAS, _fact("CI_PR_10", 1), _fact("CI_PR_11_MARTS", 1)))
    assert [d.schema for d in got] == ["CI_PR_1", "CI_PR_1_MARTS"]
    assert all(d.verdict == "drop" for d in got)


def test_cleanup_plan_renders_one_drop_per_decision_for_both_dialects() -> None:
    decisions = sweep_decisions(SCHEMAS, {1: "closed", 2: "open"}, now=NOW, max_age_hours=168)
    duck = cleanup_plan(decisions, database="lake", dialect=DUCKDB, mode="--sweep")
    assert [s.sql for s in duck.steps] == [
        ('DROP SCHEMA IF EXISTS "lake"."CI_PR_1" CASCADE',),
        ('DROP SCHEMA IF EXISTS "lake"."CI_PR_1_MARTS" CASCADE',),
        ('DROP SCHEMA IF EXISTS "lake"."CI_PR_2" CASCADE',),
    ]
    assert ("drop", "3") in duck.facts and ("keep", "4") in duck.facts
    snow = cleanup_plan(decisions, database="analytics", dialect=SNOWFLAKE, mode="--sweep")
    assert snow.steps[0].sql == ('DROP SCHEMA IF EXISTS "ANALYTICS"."CI_PR_1" CASCADE',)


def test_cleanup_plan_refuses_a_decision_for_a_foreign_name() -> None:
    forged = (Decision("MARTS", 1, "drop", "forged"),)
    with pytest.raises(ValueError, match="refusing to drop 'MARTS'"):
        cleanup_plan(forged, database="lake", dialect=DUCKDB, mode="--pr 1")


def test_cleanup_plan_refuses_a_decision_whose_pr_does_not_own_the_schema() -> None:
    with pytest.raises(ValueError, match="not a schema of PR 2"):
        cleanup_plan((Decision("CI_PR_1", 2, "drop", "x"),), database="lake", dialect=DUCKDB, mode="--pr 2")


def test_nothing_to_drop_is_an_empty_plan() -> None:
    p = cleanup_plan((), database="lake", dialect=DUCKDB, mode="--sweep")
    assert p.steps == () and ("drop", "0") in p.facts
