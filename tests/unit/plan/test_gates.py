"""Pre-cutover gates: dbt results, row-count delta at its thresholds, non-empty, consumed-column contract."""

from __future__ import annotations

import pytest

from pipelineops.plan import gates
from pipelineops.plan.gates import GateResult


def outcome(uid: str, status: str, failures: int | None = None, message: str = "") -> gates.TestOutcome:
    return gates.TestOutcome(uid, status, failures, message)


# --- dbt ----------------------------------------------------------------------------------------------


def test_dbt_all_passing_is_one_pass_row() -> None:
    results = gates.dbt_tests(
        [outcome("model.a", "success"), outcome("test.t", "pass", 0), outcome("x", "skipped")]
    )
    assert results == [GateResult("dbt", "all nodes", "pass", "3 nodes succeeded")]
    assert gates.failed(results) == []


def test_dbt_failures_errors_and_warnings() -> None:
    results = gates.dbt_tests(
        [
            outcome("test.unique_id", "fail", 3, "Got 3 results, configured to fail if != 0"),
            outcome("model.broken", "error", None, "Binder Error: column x not found"),
            outcome("test.no_message", "fail", 0),
            outcome("test.warned", "warn", 12),
            outcome("test.warned_none", "warn", None),
            outcome("model.ok", "success"),
        ]
    )
    assert results == [
        GateResult(
            "dbt", "test.unique_id", "fail", "Got 3 results, configured to fail if != 0 (3 failing rows)"
        ),
        GateResult("dbt", "model.broken", "fail", "Binder Error: column x not found"),
        GateResult("dbt", "test.no_message", "fail", "fail"),
        GateResult("dbt", "test.warned", "warn", "12 rows warned"),
        GateResult("dbt", "test.warned_none", "warn", "0 rows warned"),
    ]
    assert [r.subject for r in gates.failed(results)] == ["test.unique_id", "model.broken", "test.no_message"]


def test_dbt_with_no_nodes_passes() -> None:
    assert gates.dbt_tests([]) == [GateResult("dbt", "all nodes", "pass", "0 nodes succeeded")]


# --- row-count delta ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "verdict", "shown"),
    [
        (1000, 1000, "pass", "+0.0%"),
        (1000, 1100, "pass", "+10.0%"),  # exactly warn_pct: not above it
        (1000, 1101, "warn", "+10.1%"),
        (1000, 900, "pass", "-10.0%"),
        (1000, 899, "warn", "-10.1%"),
        (1000, 1500, "warn", "+50.0%"),  # exactly fail_pct: warns, does not fail
        (1000, 1501, "fail", "+50.1%"),
        (1000, 500, "warn", "-50.0%"),
        (1000, 499, "fail", "-50.1%"),
        (1000, 0, "fail", "-100.0%"),
        (0, 0, "pass", "+0.0%"),
        (0, 5, "fail", "+100.0%"),  # from empty: counted as a 100% change
    ],
)
def test_row_count_delta_thresholds_at_the_boundaries(old: int, new: int, verdict: str, shown: str) -> None:
    (result,) = gates.row_count_delta({"marts.f": old}, {"marts.f": new}, warn_pct=10, fail_pct=50)
    assert (result.gate, result.subject, result.verdict) == ("row-count", "marts.f", verdict)
    assert result.detail == f"{old} → {new} rows ({shown} vs live)"


def test_row_count_delta_a_drop_is_shown_as_negative() -> None:
    (result,) = gates.row_count_delta({"t": 200}, {"t": 100}, warn_pct=10, fail_pct=90)
    assert result.detail == "200 → 100 rows (-50.0% vs live)"


def test_row_count_delta_new_relation_passes_and_order_is_sorted() -> None:
    results = gates.row_count_delta({"b": 10}, {"c": 0, "b": 10, "a": 7}, warn_pct=0, fail_pct=0)
    assert results == [
        GateResult("row-count", "a", "pass", "new relation, 7 rows"),
        GateResult("row-count", "b", "pass", "10 → 10 rows (+0.0% vs live)"),
        GateResult("row-count", "c", "pass", "new relation, 0 rows"),
    ]


def test_row_count_delta_ignores_relations_only_live_has() -> None:
    assert gates.row_count_delta({"gone": 10}, {}, warn_pct=10, fail_pct=50) == []


def test_row_count_delta_zero_thresholds_flag_any_change() -> None:
    (result,) = gates.row_count_delta({"t": 1000}, {"t": 1001}, warn_pct=0, fail_pct=0)
    assert result.verdict == "fail"


# --- non-empty ----------------------------------------------------------------------------------------


def test_non_empty() -> None:
    assert gates.non_empty({"b": 0, "a": 1}) == [
        GateResult("non-empty", "a", "pass", "1 rows"),
        GateResult("non-empty", "b", "fail", "0 rows"),
    ]
    assert gates.non_empty({}) == []


# --- contract -----------------------------------------------------------------------------------------


LIVE = {"fct_orders": {"ORDER_ID": "integer", "STATUS": "varchar", "NET_AMOUNT": "decimal(18,2)"}}


def test_contract_intact_ignoring_case() -> None:
    idle = {
        "fct_orders": {"order_id": "INTEGER", "status": "VARCHAR", "net_amount": "DECIMAL(18,2)", "x": "INT"}
    }
    assert gates.contract({"fct_orders": ["ORDER_ID", "status"]}, LIVE, idle) == [
        GateResult("contract", "fct_orders", "pass", "2 consumed columns intact")
    ]


def test_contract_dropped_column_fails() -> None:
    idle = {"fct_orders": {"order_id": "INTEGER", "net_amount": "DECIMAL(18,2)"}}
    (result,) = gates.contract({"fct_orders": ["order_id", "status"]}, LIVE, idle)
    assert (result.verdict, result.detail) == ("fail", "status dropped")


def test_contract_retyped_column_fails() -> None:
    idle = {"fct_orders": {"order_id": "VARCHAR", "status": "VARCHAR", "net_amount": "DOUBLE"}}
    (result,) = gates.contract({"fct_orders": ["order_id", "status", "net_amount"]}, LIVE, idle)
    assert result.verdict == "fail"
    assert result.detail == "order_id retyped INTEGER → VARCHAR; net_amount retyped DECIMAL(18,2) → DOUBLE"


def test_contract_dropped_and_retyped_together_and_models_sorted() -> None:
    live = {**LIVE, "dim_customers": {"customer_id": "INTEGER"}}
    idle = {"fct_orders": {"order_id": "BIGINT"}, "dim_customers": {"customer_id": "INTEGER"}}
    results = gates.contract(
        {"fct_orders": ["status", "order_id"], "dim_customers": ["customer_id"]}, live, idle
    )
    assert results == [
        GateResult("contract", "dim_customers", "pass", "1 consumed columns intact"),
        GateResult("contract", "fct_orders", "fail", "status dropped; order_id retyped INTEGER → BIGINT"),
    ]


def test_contract_new_column_or_new_model_has_nothing_to_compare_with() -> None:
    idle = {"fct_new": {"id": "INTEGER"}, "fct_orders": {"order_id": "INTEGER", "late": "DATE"}}
    results = gates.contract({"fct_new": ["id"], "fct_orders": ["late"]}, LIVE, idle)
    assert [r.verdict for r in results] == ["pass", "pass"]


def test_contract_model_missing_from_idle_drops_every_column() -> None:
    (result,) = gates.contract({"fct_orders": ["order_id", "status"]}, LIVE, {})
    assert (result.verdict, result.detail) == ("fail", "order_id dropped; status dropped")


def test_failed_filters_fail_verdicts_only() -> None:
    rows = [
        GateResult("g", "a", "pass", ""),
        GateResult("g", "b", "warn", ""),
        GateResult("g", "c", "fail", ""),
    ]
    assert gates.failed(rows) == [rows[2]]


def test_freshness_error_fails_warn_warns_pass_passes() -> None:
    results = gates.freshness(
        [
            gates.FreshnessOutcome("source.p.raw.shipments", "warn", 72 * 3600),
            gates.FreshnessOutcome("source.p.raw.orders", "pass", 3600),
            gates.FreshnessOutcome("source.p.raw.payments", "error", 100 * 3600),
            gates.FreshnessOutcome("source.p.raw.products", "runtime error", 0),
        ]
    )
    verdicts = {r.subject: r.verdict for r in results}
    assert verdicts == {
        "source.p.raw.shipments": "warn",
        "source.p.raw.orders": "pass",
        "source.p.raw.payments": "fail",
        "source.p.raw.products": "fail",
    }
    assert next(r for r in results if r.subject.endswith("shipments")).detail == "last load 72.0 h ago"
