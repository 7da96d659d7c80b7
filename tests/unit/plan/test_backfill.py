"""The backfill plan: a date range cut into batches, the model checks, the dbt steps and the resume point."""

from __future__ import annotations

from datetime import date

import pytest

from pipelineops.errors import UserError
from pipelineops.plan import backfill
from pipelineops.plan.backfill import (
    BACKFILL_BATCH,
    BACKFILL_DOWNSTREAM,
    BACKFILL_TEST,
    Batch,
    ModelFacts,
    backfill_steps,
    batches,
    check_alignment,
    check_model,
    check_range,
    default_batch_size,
    parse_batch_size,
    parse_date,
    resume_point,
    with_backfill,
)
from pipelineops.plan.bluegreen_swap import DeployInputs, Published, build_plan
from pipelineops.plan.sql import DUCKDB

D = date.fromisoformat
DAILY_REVENUE = ModelFacts("fct_daily_revenue", "incremental", "microbatch", "revenue_date", "month")
DAILY_EVENTS = ModelFacts("fct_events", "incremental", "microbatch", "event_at", "day", has_children=True)
ORDERS = ModelFacts("fct_orders", "incremental", "delete+insert", "ordered_at")
MODELS = {m.name: m for m in (DAILY_REVENUE, DAILY_EVENTS, ORDERS, ModelFacts("dim_customers", "table"))}
VARS = '{"pipelineops_colour":"GREEN"}'


def _ranges(found: tuple[Batch, ...]) -> list[tuple[str, str]]:
    return [(b.start.isoformat(), b.end.isoformat()) for b in found]


# --- batching ---------------------------------------------------------------------------------------------


def test_daily_batches_cover_the_range_end_exclusive() -> None:
    found = batches(D("2025-01-30"), D("2025-02-02"), "1d")
    assert _ranges(found) == [
        ("2025-01-30", "2025-01-31"),
        ("2025-01-31", "2025-02-01"),
        ("2025-02-01", "2025-02-02"),
    ]
    assert [(b.index, b.total) for b in found] == [(1, 3), (2, 3), (3, 3)]
    assert found[2].label == "2025-02-01 → 2025-02-02"


def test_weekly_batches_start_at_start_and_the_last_is_clipped() -> None:
    found = batches(D("2025-01-01"), D("2025-01-20"), "7d")
    assert _ranges(found) == [
        ("2025-01-01", "2025-01-08"),
        ("2025-01-08", "2025-01-15"),
        ("2025-01-15", "2025-01-20"),
    ]


def test_monthly_batches_follow_calendar_months_across_a_year_end() -> None:
    found = batches(D("2024-11-15"), D("2025-02-10"), "1mo")
    assert _ranges(found) == [
        ("2024-11-15", "2024-12-01"),
        ("2024-12-01", "2025-01-01"),
        ("2025-01-01", "2025-02-01"),
        ("2025-02-01", "2025-02-10"),
    ]


def test_a_one_day_range_is_one_batch_of_any_size() -> None:
    for size in backfill.BATCH_SIZES:
        assert _ranges(batches(D("2025-03-31"), D("2025-04-01"), size)) == [("2025-03-31", "2025-04-01")]


@pytest.mark.parametrize(("start", "end"), [("2025-01-02", "2025-01-01"), ("2025-01-01", "2025-01-01")])
def test_start_must_be_before_end(start: str, end: str) -> None:
    with pytest.raises(UserError, match="is not before --end") as err:
        batches(D(start), D(end), "1d")
    assert err.value.fix.startswith(f"pass an --end after the start, e.g. --start {start}")
    assert err.value.runbook == "backfill.md"
    with pytest.raises(UserError, match="is not before --end"):
        check_range(D(start), D(end))


def test_too_many_batches_is_refused_naming_a_larger_batch_size() -> None:
    assert len(batches(D("2024-01-01"), D("2025-01-01"), "1d")) == 366  # a leap year is allowed
    with pytest.raises(UserError, match="more than 366 batches") as err:
        batches(D("2024-01-01"), D("2025-01-02"), "1d")
    assert "7d or 1mo" in err.value.fix
    with pytest.raises(UserError, match="more than 2 batches"):
        batches(D("2025-01-01"), D("2025-01-04"), "1d", max_batches=2)


def test_dates_and_batch_sizes_are_parsed_strictly() -> None:
    assert parse_date(" 2025-01-03 ", "--start") == D("2025-01-03")
    with pytest.raises(UserError, match="--end '2025-13-01' is not a date") as err:
        parse_date("2025-13-01", "--end")
    assert err.value.fix == "write --end as YYYY-MM-DD, e.g. --end 2025-01-01"
    assert [parse_batch_size(s) for s in ("1d", "7d", " 1mo")] == ["1d", "7d", "1mo"]
    with pytest.raises(UserError, match="--batch-size '1m' is not one of 1d, 7d, 1mo"):
        parse_batch_size("1m")


# --- which models qualify -----------------------------------------------------------------------------------


def test_a_microbatch_model_qualifies() -> None:
    assert check_model("fct_daily_revenue", MODELS) is DAILY_REVENUE
    assert DAILY_REVENUE.microbatch and not ORDERS.microbatch


def test_an_incremental_model_without_microbatch_is_refused_naming_those_that_qualify() -> None:
    with pytest.raises(UserError, match="fct_orders cannot be backfilled by date range") as err:
        check_model("fct_orders", MODELS)
    assert "incremental_strategy 'delete+insert'" in err.value.what
    assert "dbt applies --event-time-start/--event-time-end only to microbatch models" in err.value.why
    assert "models that qualify: fct_daily_revenue, fct_events" in err.value.why
    assert "incremental_strategy='microbatch'" in err.value.fix


def test_a_table_model_and_an_unknown_model_are_refused() -> None:
    with pytest.raises(UserError, match="materialized as 'table'"):
        check_model("dim_customers", MODELS)
    with pytest.raises(UserError, match="no such model") as err:
        check_model("fct_nope", MODELS)
    assert "models that qualify: fct_daily_revenue, fct_events" in err.value.why
    with pytest.raises(UserError) as none:
        check_model("fct_orders", {"fct_orders": ORDERS})
    assert "no model of this project qualifies" in none.value.why


def test_batches_may_not_be_finer_than_the_models_batch_size() -> None:
    check_alignment(DAILY_REVENUE, "1mo", D("2025-01-01"), D("2025-03-01"))
    for size in ("1d", "7d"):
        with pytest.raises(UserError, match=f"--batch-size {size} is finer than fct_daily_revenue") as err:
            check_alignment(DAILY_REVENUE, size, D("2025-01-01"), D("2025-03-01"))  # type: ignore[arg-type]
        assert err.value.fix == "use --batch-size 1mo"
    for size in backfill.BATCH_SIZES:
        check_alignment(DAILY_EVENTS, size, D("2025-01-03"), D("2025-01-09"))
    hourly = ModelFacts("fct_clicks", "incremental", "microbatch", "at", "hour")
    check_alignment(hourly, "1d", D("2025-01-03"), D("2025-01-04"))


def test_a_monthly_model_needs_whole_months() -> None:
    with pytest.raises(UserError, match="--start 2025-01-15 is not the first day of a month") as err:
        check_alignment(DAILY_REVENUE, "1mo", D("2025-01-15"), D("2025-03-01"))
    assert err.value.fix == "use --start 2025-01-01"
    with pytest.raises(UserError, match="--end 2025-03-10 is not the first day") as err:
        check_alignment(DAILY_REVENUE, "1mo", D("2025-01-01"), D("2025-03-10"))
    assert err.value.fix == "use --end 2025-03-01 or 2025-04-01"


@pytest.mark.parametrize("size", [None, "year"])
def test_a_model_with_a_yearly_or_missing_batch_size_is_refused(size: str | None) -> None:
    model = ModelFacts("fct_years", "incremental", "microbatch", "at", size)
    with pytest.raises(UserError, match=f"has batch_size {size!r}"):
        check_alignment(model, "1mo", D("2025-01-01"), D("2025-02-01"))


def test_the_default_batch_size_follows_the_model() -> None:
    assert default_batch_size(DAILY_REVENUE) == "1mo"
    assert default_batch_size(DAILY_EVENTS) == "1d"
    assert default_batch_size(ModelFacts("h", "incremental", "microbatch", "at", "hour")) == "1d"
    assert default_batch_size(ModelFacts("y", "incremental", "microbatch", "at", "year")) == "1mo"


# --- the plan -------------------------------------------------------------------------------------------------


def test_one_dbt_run_per_batch_with_dbts_event_time_flags_then_the_tests() -> None:
    found = batches(D("2025-01-01"), D("2025-03-01"), "1mo")
    steps = backfill_steps(DAILY_REVENUE, found, VARS)
    assert [s.name for s in steps] == [BACKFILL_BATCH, BACKFILL_BATCH, BACKFILL_TEST]
    assert all(s.action == "dbt" and not s.sql for s in steps)
    assert steps[1].dbt_args == (
        "run",
        "--select",
        "fct_daily_revenue",
        "--vars",
        VARS,
        "--event-time-start",
        "2025-02-01",
        "--event-time-end",
        "2025-03-01",
    )
    assert (
        steps[1].why == "batch 2/2: re-run fct_daily_revenue over 2025-02-01 → 2025-03-01 in the idle colour"
    )
    assert steps[2].dbt_args == ("test", "--select", "fct_daily_revenue", "--vars", VARS)


def test_models_downstream_of_the_backfilled_one_are_rebuilt_before_the_tests() -> None:
    steps = backfill_steps(DAILY_EVENTS, batches(D("2025-01-01"), D("2025-01-03"), "1d"), VARS)
    assert [s.name for s in steps] == [BACKFILL_BATCH, BACKFILL_BATCH, BACKFILL_DOWNSTREAM, BACKFILL_TEST]
    assert steps[2].dbt_args == (
        "build",
        "--select",
        "fct_events+",
        "--exclude",
        "fct_events",
        "--vars",
        VARS,
    )


def test_the_backfill_steps_come_right_after_the_full_build_of_the_deploy() -> None:
    deploy = build_plan(
        DeployInputs(
            environment="prod",
            dialect=DUCKDB,
            database="lake",
            live="BLUE",
            consumer_schemas=("MARTS",),
            dbt_target="prod",
            published=(Published("MARTS", "fct_daily_revenue"),),
            existing_views={},
        )
    )
    found = batches(D("2025-01-01"), D("2025-03-01"), "1mo")
    plan = with_backfill(deploy, DAILY_REVENUE, found, VARS, "1mo")
    names = [s.name for s in plan.steps]
    assert names[:7] == ["lock", "prepare", "build", BACKFILL_BATCH, BACKFILL_BATCH, BACKFILL_TEST, "checks"]
    assert names[7:] == [s.name for s in deploy.steps][4:]  # cutover onwards: the deploy's own steps
    assert plan.stage == "backfill"
    assert plan.step("build") == deploy.step("build")
    assert dict(plan.facts)["range"] == "2025-01-01 → 2025-03-01 (end exclusive)"
    assert dict(plan.facts)["batches"] == "2 of 1mo"
    assert dict(plan.facts)["model"] == "fct_daily_revenue"


# --- resuming a killed backfill -------------------------------------------------------------------------------


def _row(deploy_id: str, step: str, status: str, detail: str = "") -> dict[str, object]:
    return {"deploy_id": deploy_id, "step": step, "status": status, "detail": detail or None}


def test_a_rerun_skips_the_prepare_build_and_batches_that_succeeded() -> None:
    rows = [
        _row("d1", "finish", "succeeded"),
        _row("b1", "prepare", "started"),
        _row("b1", "prepare", "succeeded"),
        _row("b1", "build", "started"),
        _row("b1", "build", "succeeded", "dbt exit 0"),
        _row("b1", BACKFILL_BATCH, "started", "2025-01-01 → 2025-02-01"),
        _row("b1", BACKFILL_BATCH, "succeeded", "2025-01-01 → 2025-02-01"),
        _row("b1", BACKFILL_BATCH, "started", "2025-02-01 → 2025-03-01"),
        _row("b1", BACKFILL_BATCH, "failed", "2025-02-01 → 2025-03-01: dbt exit 1"),
        _row("b1", BACKFILL_TEST, "succeeded"),  # verification steps always run again
        _row("b1", "checks", "succeeded"),
    ]
    assert resume_point(rows, "b1") == {
        ("prepare", ""),
        ("build", ""),
        (BACKFILL_BATCH, "2025-01-01 → 2025-02-01"),
    }


def test_nothing_is_skipped_for_a_new_deploy_or_after_another_deploy_wrote_meanwhile() -> None:
    rows = [_row("b1", "prepare", "succeeded"), _row("b1", "build", "succeeded")]
    assert resume_point(rows, "b2") == frozenset()
    assert resume_point([], "b1") == frozenset()
    forced = [*rows, _row("other", "build", "started"), _row("b1", BACKFILL_BATCH, "succeeded", "x")]
    assert resume_point(forced, "b1") == frozenset()
