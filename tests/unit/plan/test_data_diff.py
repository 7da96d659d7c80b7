"""plan/data_diff.py: which relations are compared, on which key, what is sensitive, and the numbers."""

from __future__ import annotations

from typing import Any

from pipelineops.plan import data_diff as dd
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import Relation
from pipelineops.plan.sql.data_diff import DiffColumn, ProfileColumn

UID = "model.demo.dim_customers"


def node(name: str = "dim_customers", schema: str = "CI_PR_7_MARTS", **extra: Any) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": name,
        "database": "lake",
        "schema": schema,
        "alias": name,
        "config": {"materialized": "table"},
        **extra,
    }


def test(column: str, name: str, attached: str = UID) -> dict[str, Any]:
    return {
        "resource_type": "test",
        "attached_node": attached,
        "column_name": column,
        "test_metadata": {"name": name},
    }


test.__test__ = False  # type: ignore[attr-defined]


def manifest(*nodes: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"nodes": dict(nodes)}


# --- keys ---------------------------------------------------------------------------------------------


def test_the_configured_key_wins() -> None:
    m = manifest((UID, node()), ("test.u", test("customer_id", "unique")))
    assert dd.find_key(m, UID, ("a", "b")) == (("a", "b"), "config slim_ci.diff.keys")


def test_a_model_primary_key_constraint_is_the_key() -> None:
    m = manifest(
        (UID, node(constraints=[{"type": "check"}, {"type": "primary_key", "columns": ["id", "day"]}]))
    )
    assert dd.find_key(m, UID) == (("id", "day"), "primary_key constraint")


def test_a_column_primary_key_constraint_is_the_key() -> None:
    columns = {"x": {"constraints": [{"type": "not_null"}]}, "id": {"constraints": [{"type": "primary_key"}]}}
    assert dd.find_key(manifest((UID, node(columns=columns))), UID) == (("id",), "primary_key constraint")


def test_a_column_with_unique_and_not_null_tests_or_constraint_is_the_key() -> None:
    columns = {"email": {}, "customer_id": {"constraints": [{"type": "not_null"}]}}
    m = manifest(
        (UID, node(columns=columns)),
        ("test.1", test("email", "unique")),
        ("test.2", test("customer_id", "unique")),
        ("test.3", test("other", "unique", attached="model.demo.other")),
        ("test.4", {"resource_type": "test", "attached_node": UID, "column_name": None}),
    )
    assert dd.find_key(m, UID) == (("customer_id",), "unique + not_null tests")
    undeclared = manifest((UID, node()), ("t1", test("id", "not_null")), ("t2", test("id", "unique")))
    assert dd.find_key(undeclared, UID) == (("id",), "unique + not_null tests")


def test_a_model_without_key_says_where_a_key_would_come_from() -> None:
    keys, why = dd.find_key(manifest((UID, node(constraints="bad")), ("t", test("email", "unique"))), UID)
    assert keys == () and "no key" in why and "slim_ci.diff.keys" in why


# --- specs --------------------------------------------------------------------------------------------


def test_specs_pair_the_pr_relation_with_the_production_relation_and_find_sensitive_columns() -> None:
    pr = manifest(
        (
            UID,
            node(
                columns={
                    "email": {"meta": {"pii": True}},
                    "phone": {"config": {"meta": {"pii": "true"}}},
                    "customer_id": {},
                }
            ),
        ),
        ("model.demo.new", node("new")),
        ("model.demo.eph", node("eph", config={"materialized": "ephemeral"})),
        ("seed.demo.raw", {"resource_type": "seed", "name": "raw"}),
        ("t", test("customer_id", "unique")),
        ("t2", test("customer_id", "not_null")),
    )
    prod = manifest((UID, node(schema="MARTS", columns={"ssn": {"meta": {"pii": True}}})))
    specs = dd.model_specs(
        pr,
        prod,
        [UID, UID, "model.demo.new", "model.demo.eph", "seed.demo.raw", "model.demo.gone"],
        keys={"new": ["id"]},
        sensitive=["dim_customers.full_name", "other.x", "address"],
    )
    one, new = specs
    assert one.pr == Relation("lake", "CI_PR_7_MARTS", "dim_customers")
    assert one.prod == Relation("lake", "MARTS", "dim_customers")
    assert (one.keys, one.key_source) == (("customer_id",), "unique + not_null tests")
    assert one.sensitive == {"EMAIL", "PHONE", "FULL_NAME", "ADDRESS", "SSN"}
    assert one.is_sensitive("email") and not one.is_sensitive("customer_id")
    assert (new.name, new.prod, new.keys) == ("new", None, ("id",))
    assert dd.model_specs(pr, None, ["model.demo.new"], keys={}, sensitive=())[0].prod is None


# --- schema -------------------------------------------------------------------------------------------


def test_schema_diff_names_added_removed_and_retyped_columns_and_compares_the_rest() -> None:
    pr = [Column("id", "BIGINT"), Column("amount", "DECIMAL(18,3)"), Column("note", "VARCHAR")]
    prod = [Column("ID", "bigint"), Column("amount", "DECIMAL(18,2)"), Column("old", "DATE")]
    s = dd.schema_diff(pr, prod)
    assert s.added == (Column("note", "VARCHAR"),)
    assert s.removed == (Column("old", "DATE"),)
    assert s.retyped == (dd.Retyped("amount", "DECIMAL(18,2)", "DECIMAL(18,3)"),)
    assert s.compared == (DiffColumn("id"), DiffColumn("amount", as_text=True))
    assert s.changed and not dd.schema_diff(prod, prod).changed


def spec(keys: tuple[str, ...] = ("id",), sensitive: frozenset[str] = frozenset()) -> dd.ModelSpec:
    return dd.ModelSpec(
        UID, "dim", Relation("a", "b", "c"), Relation("a", "d", "c"), keys, "tests", sensitive
    )


def test_key_columns_come_from_the_compared_columns_or_say_why_not() -> None:
    s = dd.schema_diff(
        [Column("id", "INT"), Column("x", "INT")], [Column("ID", "BIGINT"), Column("x", "INT")]
    )
    assert dd.key_columns(spec(("ID",)), s) == (DiffColumn("id", as_text=True),)
    assert dd.key_columns(spec(("y",)), s) == "key column(s) y not on both sides"
    assert dd.key_columns(spec(()), s) == "tests"


# --- cost ---------------------------------------------------------------------------------------------


def test_sampling_starts_above_the_threshold_and_keeps_about_threshold_rows() -> None:
    assert dd.sample_per_10000(1_000, 1_000) is None
    assert dd.sample_per_10000(5, 0) is None
    assert dd.sample_per_10000(4_000, 1_000) == 2_500
    assert dd.sample_per_10000(10**9, 10) == 1
    assert dd.sample_label(None) == "every row"
    assert dd.sample_label(2_500) == "sampled: 25% of keys by key hash (deterministic)"


def test_profiles_leave_out_min_max_of_sensitive_boolean_and_nested_columns() -> None:
    cols = [
        Column("id", "INTEGER"),
        Column("email", "VARCHAR"),
        Column("ok", "BOOLEAN"),
        Column("v", "VARIANT"),
    ]
    assert dd.profile_columns(cols, spec(sensitive=frozenset({"EMAIL"}))) == (
        ProfileColumn("id"),
        ProfileColumn("email", extremes=False),
        ProfileColumn("ok", extremes=False),
        ProfileColumn("v", extremes=False),
    )


# --- results ------------------------------------------------------------------------------------------


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
