"""plan/data_diff.py: the schema diff, the key as compared columns, the cost, and the plan --dry-run prints."""

from __future__ import annotations

from pipelineops.plan import data_diff as dd
from pipelineops.plan.data_diff_specs import ModelSpec
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Relation
from pipelineops.plan.sql.data_diff import DiffColumn, ProfileColumn

UID = "model.demo.dim_customers"


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


def spec(keys: tuple[str, ...] = ("id",), sensitive: frozenset[str] = frozenset()) -> ModelSpec:
    return ModelSpec(UID, "dim", Relation("a", "b", "c"), Relation("a", "d", "c"), keys, "tests", sensitive)


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


# --- the plan -----------------------------------------------------------------------------------------


def test_the_read_plan_holds_the_first_statements_of_each_model() -> None:
    keyed = spec()
    new = ModelSpec(UID, "new", Relation("a", "b", "n"), None, (), "no key", frozenset())
    plan = dd.read_plan([keyed, new], budget_seconds=60, threshold=1_000, dialect=SNOWFLAKE)
    assert plan.stage == "data-diff" and plan.dialect is SNOWFLAKE
    first, second = plan.steps
    assert (first.name, first.action, second.name) == ("dim", "check", "new")
    assert first.why == (
        "columns of both sides and row counts; then the key diff on id, sampled above 1,000 rows, at most 60 s"
    )
    assert first.sql[0] == "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 60" and len(first.sql) == 4
    assert second.why.startswith("columns of both sides and row counts; then column profiles (no key)")
    assert len(second.sql) == 2  # no production relation: its columns only
    local = dd.read_plan([new], budget_seconds=60, threshold=1_000, dialect=DUCKDB)
    assert len(local.steps[0].sql) == len(second.sql) - 1  # no session timeout on the local engine
