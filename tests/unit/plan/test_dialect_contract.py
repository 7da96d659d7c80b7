"""The dialect contract, run for every registered dialect and for a toy third one (``dialects/toy.py``).

Every plan and every statement builder renders with each dialect, and every statement passes that dialect's
static check (``tests/sqlcheck/checks.py``; the toy brings its own). The golden files pin the SQL of the real
dialects byte for byte (``test_sql_common.py``, ``test_bluegreen_swap.py`` …); here every registered dialect
must have golden cases in every stage folder. The toy is one module plus one registry entry: nothing else
in PipelineOps learns its name.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.sqlcheck.checks import STATIC_CHECKS
from tests.unit.plan.dialects import toy
from tests.unit.plan.dialects.toy import TOY

from pipelineops.plan import (
    backfill,
    bluegreen_swap,
    parity_check,
    pr_schema,
    rollback,
    schema_cleanup,
    slim_deploy,
)
from pipelineops.plan.bluegreen_swap import Carried, DeployInputs, Published
from pipelineops.plan.sql import DIALECTS, Dialect, Relation, common, dialect_for, journal, row_counts
from pipelineops.plan.sql import data_diff as dsql
from pipelineops.plan.sql import grants as gsql
from pipelineops.plan.sql.dialect import CloneSwap, SnapshotCopy
from pipelineops.plan.sql.time_travel import PointInTime, count_at
from pipelineops.plan.steps import Plan, render_plan

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "sql"
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
DB, ENV, JOURNAL = "ANALYTICS", "prod", "PIPELINEOPS"
PUBLISHED = (Published("MARTS", "fct_orders"), Published("MARTS", "dim_customers"))
ALL = {**DIALECTS, TOY.name: TOY}
CHECKS = {**STATIC_CHECKS, TOY.name: toy.check_sql}
POINTS: dict[str, PointInTime] = {
    "version": PointInTime("version", version=3),
    "timestamp": PointInTime("timestamp", timestamp=NOW),
    "offset": PointInTime("offset", offset_s=-3600),
    "statement": PointInTime("statement", statement="01b2c3d4-0000-1111-2222-333344445555"),
}


@pytest.fixture(params=sorted(ALL), ids=str)
def dialect(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Dialect:
    """Each registered dialect, and the toy registered the way a new engine is: one entry in DIALECTS."""
    monkeypatch.setitem(DIALECTS, TOY.name, TOY)  # type: ignore[index]
    return dialect_for(str(request.param))


def deploy(d: Dialect, *, live: bool = True) -> DeployInputs:
    return DeployInputs(
        environment=ENV,
        dialect=d,
        database=DB,
        live="BLUE" if live else None,
        consumer_schemas=("MARTS",),
        dbt_target="prod",
        published=PUBLISHED,
        existing_views={"MARTS": ("fct_orders", "old_view")},
        incremental_in_live=(Carried("MARTS", "fct_events", transient=False),),
        reader_roles=("REPORTER",),
    )


def plans(d: Dialect) -> Iterator[Plan]:
    """Every plan a stage builds from a dialect."""
    full = bluegreen_swap.build_plan(deploy(d))
    yield full
    yield bluegreen_swap.build_plan(deploy(d, live=False))
    carry = slim_deploy.CarryOver(
        built=("model.p.fct_orders",), tables=(Carried("MARTS", "dim_customers"),), views=("v",)
    )
    yield slim_deploy.slim_plan(
        full, carry, database=DB, live="BLUE", idle="GREEN", state_dir="s", vars_json="{}"
    )
    model = backfill.ModelFacts("fct_events", "incremental", "microbatch", "at", "day")
    batch = backfill.Batch(1, 1, date(2026, 11, 1), date(2026, 11, 2))
    yield backfill.with_backfill(full, model, (batch,), "{}", "day")
    yield rollback.republish_plan(
        rollback.RepublishInputs(
            environment=ENV,
            dialect=d,
            database=DB,
            consumer_schemas=("MARTS",),
            current="GREEN",
            target="BLUE",
            target_deploy="d1",
            published=PUBLISHED,
            existing_views={"MARTS": ("fct_orders",)},
            reader_roles=("REPORTER",),
        )
    )
    table = Relation(DB, "MARTS__GREEN", "fct_orders")
    routes: tuple[rollback.Route, ...] = (
        ("direct", "undrop") if isinstance(d.time_travel, CloneSwap) else ("direct",)
    )
    for kind in sorted(d.point_kinds):
        for route in routes:
            yield rollback.time_travel_plan(
                dialect=d, table=table, point=POINTS[kind], restore_id="R1", route=route, transient=True
            )
    for roles in ((), ("REPORTER",)):
        yield parity_check.read_plan(
            environment=ENV, database=DB, dialect=d, schemas=("MARTS",), reader_roles=roles
        )
    yield pr_schema.create_plan(42, ["CI_PR_42", "CI_PR_42_MARTS"], present=[], database=DB, dialect=d)
    yield pr_schema.drop_plan(42, ["CI_PR_42"], database=DB, dialect=d)
    decisions = (schema_cleanup.Decision("CI_PR_7", 7, "drop", "closed"),)
    yield schema_cleanup.cleanup_plan(decisions, database=DB, dialect=d, mode="--sweep")


def statements(d: Dialect) -> Iterator[str]:
    """Every statement the SQL builders make outside plans (journal, row counts, data diff, reads)."""
    orders, other = Relation(DB, "MARTS", "fct_orders"), Relation(DB, "CI_PR_42", "fct_orders")
    yield from journal.migrations(DB, JOURNAL, d)
    yield journal.insert_state(DB, JOURNAL, {"deploy_id": "d1", "started_at": NOW, "elapsed_ms": 5}, d)
    yield journal.select_state(DB, JOURNAL, ENV, d)
    yield journal.ensure_lock_row(DB, JOURNAL, ENV, d)
    yield journal.take_lock(DB, JOURNAL, ENV, deploy_id="d1", holder="h", run_url="u", now=NOW, dialect=d)
    yield journal.release_lock(DB, JOURNAL, ENV, "d1", d)
    yield journal.select_lock(DB, JOURNAL, ENV, d)
    yield journal.insert_manifest(
        DB, JOURNAL, environment=ENV, deploy_id="d1", colour="BLUE", digest="x", published_at=NOW, manifest="{}",
        dialect=d,
    )  # fmt: skip
    yield journal.delete_manifest(DB, JOURNAL, ENV, "d1", d)
    yield journal.latest_manifest(DB, JOURNAL, ENV, d)
    yield journal.manifest_of(DB, JOURNAL, ENV, "d1", d)
    yield row_counts.migration(DB, JOURNAL, d)
    yield from row_counts.insert_counts(
        DB,
        JOURNAL,
        environment=ENV,
        deploy_id="d1",
        counts={"marts.a": 1},
        at=NOW,
        source="deploy",
        dialect=d,
    )
    yield row_counts.select_counts(DB, JOURNAL, ENV, d)
    yield row_counts.commits_migration(DB, JOURNAL, d)
    yield from row_counts.insert_commit(
        DB, JOURNAL, environment=ENV, deploy_id="d1", git_sha="abc", committed_at=NOW, dialect=d
    )
    yield row_counts.select_commits(DB, JOURNAL, ENV, d)
    keys, cols = [dsql.DiffColumn("id")], [dsql.DiffColumn("amount"), dsql.DiffColumn("note", as_text=True)]
    yield dsql.row_counts(other, orders, d)
    yield dsql.key_diff(other, orders, keys, cols, d, per_10000=100)
    yield dsql.key_examples(other, orders, keys, "added", 5, d)
    yield dsql.value_examples(other, orders, keys, cols[0], 5, d)
    yield dsql.profile(orders, [dsql.ProfileColumn("amount")], d, approx=True)
    yield from dsql.session_timeout(60, d)
    yield from dsql.session_timeout_reset(d)
    yield common.list_schemas(DB, d)
    yield common.list_relations(DB, "MARTS", d)
    yield common.view_definitions(DB, "MARTS", d)
    yield common.columns_of(orders, d)
    yield common.columns_of_schema(DB, "MARTS", d)
    yield common.list_schemas_created(DB, pr_schema.LIKE_PATTERN, d)
    yield common.row_count(orders, d)
    yield count_at(orders, POINTS["timestamp"], d)
    match d.time_travel:
        case SnapshotCopy() as snapshots:
            yield snapshots.latest_snapshot(DB)
        case CloneSwap() as clones:
            yield clones.show_table(orders)
            yield clones.query_history(DB, "01b2c3d4-0000-1111-2222-333344445555")
    if d.has_grants:
        yield gsql.show_grants_to_role("REPORTER", d)
        yield gsql.show_future_grants_in_schema(DB, "MARTS", d)
        yield gsql.show_schema(DB, "MARTS", d)
        yield gsql.grant_on_schema(DB, "MARTS__NEXT", "USAGE", "REPORTER", d)
        yield gsql.grant_on_future(DB, "MARTS__NEXT", "SELECT", "VIEW", "REPORTER", d)
        yield gsql.enable_managed_access(DB, "MARTS__NEXT", d)


def test_every_plan_renders_and_every_statement_passes_the_dialects_static_check(dialect: Dialect) -> None:
    check = CHECKS[dialect.name]
    rendered = 0
    for plan in plans(dialect):
        assert plan.dialect is dialect
        assert render_plan(plan).startswith(f"Plan for {plan.stage} on {dialect.name} (")
        for step in plan.steps:
            for stmt in (*step.sql, *step.inverse):
                check(stmt)
                rendered += 1
    for stmt in statements(dialect):
        check(stmt)
        rendered += 1
    assert rendered > 60


def test_the_cutover_follows_the_declared_capability(dialect: Dialect) -> None:
    steps = {s.name: s for s in bluegreen_swap.build_plan(deploy(dialect)).steps}
    swaps = [s for s in steps["cutover"].sql if " SWAP WITH " in s]
    if dialect.cutover == "schema-swap":
        assert "prepare-shadow" in steps
        assert swaps == [dialect.swap_schema(DB, "MARTS", "MARTS__NEXT")]
    else:
        assert "prepare-shadow" not in steps
        assert steps["cutover"].transactional
        assert not swaps
    assert bool(steps["verify-grants"].sql) is dialect.has_grants
    assert (
        steps["prepare"].transactional is False
    )  # a full deploy's prepare; the slim one follows transactional_ddl


def test_time_travel_follows_the_declared_route_and_refuses_unknown_points(dialect: Dialect) -> None:
    table = Relation(DB, "MARTS__GREEN", "fct_orders")
    for kind, point in POINTS.items():
        if kind not in dialect.point_kinds:
            with pytest.raises(ValueError, match=f"a {kind} point in time does not exist on {dialect.name}"):
                rollback.time_travel_plan(dialect=dialect, table=table, point=point, restore_id="R1")
            continue
        plan = rollback.time_travel_plan(dialect=dialect, table=table, point=point, restore_id="R1")
        restore = plan.step("restore")
        assert restore.transactional is isinstance(dialect.time_travel, SnapshotCopy)


def test_a_missing_method_is_a_type_error_not_a_wrong_path() -> None:
    abstract = {
        name
        for name, member in inspect.getmembers(Dialect)
        if getattr(member, "__isabstractmethod__", False)
        or getattr(getattr(member, "fget", None), "__isabstractmethod__", False)
    }
    assert {"quote", "fold", "literal", "copy_table", "swap_schema", "list_relations"} <= abstract
    partial = type("Partial", (Dialect,), {m: lambda *a, **k: "" for m in abstract - {"quote"}})
    with pytest.raises(TypeError, match="quote"):
        partial()


def test_dialect_for_names_the_registered_dialects_when_the_name_is_unknown() -> None:
    assert dialect_for("duckdb") is DIALECTS["duckdb"]
    with pytest.raises(ValueError, match=r"no dialect named 'bigquery' \(registered: duckdb, snowflake\)"):
        dialect_for("bigquery")
    assert str(DIALECTS["snowflake"]) == "snowflake"
    assert repr(DIALECTS["duckdb"]) == "<dialect duckdb>"


def test_every_registered_dialect_has_a_static_check_and_golden_cases_in_every_stage() -> None:
    assert set(STATIC_CHECKS) == set(DIALECTS)
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir()):
        texts = {p.stem: p.read_text(encoding="utf-8") for p in folder.glob("*.sql")}
        named = {m for text in texts.values() for m in re.findall(r"^-- dialect: (\w+)$", text, re.MULTILINE)}
        named |= {name for name in DIALECTS if any(name in stem for stem in texts)}
        assert set(DIALECTS) <= named, f"{folder.name}: golden SQL for {set(DIALECTS) - named} is missing"


def test_the_identifier_folding_is_the_dialects(dialect: Dialect) -> None:
    text = common.create_schema("Analytics", "Marts", dialect)
    quoted = dialect.quote("Analytics")
    assert quoted.strip('"') == dialect.fold("Analytics")
    assert text == f"CREATE SCHEMA IF NOT EXISTS {quoted}.{dialect.quote('Marts')}"
