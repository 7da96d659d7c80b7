"""plan/data_diff_results.py: the numbers read from the rows the data diff queries return."""

from __future__ import annotations

from pipelineops.plan import data_diff_results as dd
from pipelineops.plan.sql.data_diff import ProfileColumn

UID = "model.demo.dim_customers"


def test_numbers_are_read_from_rows_in_any_case_and_null_sums_are_zero() -> None:
    k = dd.key_counts({"ADDED": 2, "removed": None, "Matched": 10, "changed": 3, "C_1": 3, "c_2": 0}, 2)
    assert (k.added, k.removed, k.matched, k.changed, k.unchanged, k.per_column) == (2, 0, 10, 3, 7, (3, 0))
    assert dd.row_counts({"PR_ROWS": 9.0, "PROD_ROWS": "10"}) == (9, 10)


def test_values_become_short_text_and_keys_join() -> None:
    assert dd.text(None) == "NULL"
    assert dd.text("x" * 100, limit=5) == "xxxx…"
    assert dd.key_text({"K_1": 7, "k_2": "2025-01-01"}, 2) == "7, 2025-01-01"


def test_profiles_give_null_share_distinct_and_extremes_only_where_asked() -> None:
    cols = (ProfileColumn("a"), ProfileColumn("b", extremes=False))
    row = {"n": 4, "nn_1": 3, "d_1": 2, "min_1": 1, "max_1": 9, "nn_2": 4, "d_2": 4, "min_2": "secret"}
    a, b = dd.profiles(row, cols, frozenset({"B"}))
    assert a == dd.ColumnProfile("a", 25.0, 2, "1", "9")
    assert b == dd.ColumnProfile("b", 0.0, 4, None, None, sensitive=True)
    assert dd.profiles({"n": 0}, cols[:1])[0].null_pct == 0.0


def test_column_change_share_and_model_row_delta() -> None:
    assert dd.ColumnChange("x", 1, 3).pct == 33.33
    assert dd.ColumnChange("x", 0, 0).pct == 0.0
    base = dd.ModelDiff("m", UID, "compared", "pr")
    assert base.row_delta is None
    assert dd.ModelDiff("m", UID, "compared", "pr", pr_rows=9, prod_rows=10).row_delta == -1
