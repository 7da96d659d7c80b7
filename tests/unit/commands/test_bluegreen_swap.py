"""The Deployer after a Snowflake cutover: verify-grants passes, or fails and re-publishes the previous colour.

Neither fakesnow nor the local engine has grants, so the engine here is a small recording fake that
answers ``SHOW GRANTS ON SCHEMA`` and ``SHOW GRANTS TO ROLE`` with the rows Snowflake returns; everything
else is the real Deployer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pipelineops.config.model import ChecksConfig, Config
from pipelineops.execute.deploy import Deployer
from pipelineops.plan.bluegreen_swap import DeployInputs, Published, build_plan
from pipelineops.plan.history import Publication
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE

PUBLISHED = (Published("MARTS", "FCT_ORDERS"),)


@dataclass
class FakeSnowflake:
    """Records statements; SHOW GRANTS answers with ``usage`` roles holding USAGE on the schema and
    ``select`` roles (default: the ``usage`` ones) holding SELECT on the published view."""

    usage: tuple[str, ...]
    select: tuple[str, ...] | None = None
    dialect: str = SNOWFLAKE
    database: str = "ANALYTICS"
    executed: list[str] = field(default_factory=list)

    def query(self, sql: str) -> list[dict[str, object]]:
        self.executed.append(sql)
        if sql.startswith("SHOW TERSE SCHEMAS"):
            return [{"name": n} for n in ("MARTS", "MARTS__BLUE", "MARTS__GREEN", "PIPELINEOPS")]
        if sql.startswith("SHOW TERSE OBJECTS"):
            kind = "TABLE" if "__" in sql else "VIEW"
            return [{"name": "FCT_ORDERS", "kind": kind}]
        if sql.startswith("SHOW GRANTS ON SCHEMA"):
            rows = [{"privilege": "OWNERSHIP", "granted_to": "ROLE", "grantee_name": "PROD_DEPLOYER"}]
            return rows + [
                {"privilege": "USAGE", "granted_to": "ROLE", "grantee_name": r} for r in self.usage
            ]
        if sql.startswith("SHOW GRANTS TO ROLE"):
            role = sql.split('"')[1]
            readers = self.usage if self.select is None else self.select
            if role not in readers:
                return []
            return [
                {"privilege": "SELECT", "granted_on": "VIEW", "name": "ANALYTICS.MARTS.FCT_ORDERS"},
                {"privilege": "USAGE", "granted_on": "SCHEMA", "name": "ANALYTICS.MARTS"},
            ]
        return [{"n": 1}]

    def execute(self, sql: str) -> int:
        self.executed.append(sql)
        return 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        return None


@dataclass
class FakeJournal:
    rows: list[dict[str, object]] = field(default_factory=list)

    def record(self, row: dict[str, object]) -> None:
        self.rows.append(dict(row))

    def publish_manifest_sql(self, **_: Any) -> tuple[str, ...]:
        return ("INSERT manifest",)

    def manifest_of(self, deploy_id: str) -> None:
        return None  # the previous deploy stored no manifest: its colour's relations are re-published


def _deployer(
    usage: tuple[str, ...], *, live: str | None = "BLUE", select: tuple[str, ...] | None = None
) -> tuple[Deployer, FakeSnowflake, FakeJournal]:
    cfg = Config(
        path=Path("pipelineops.yml"),
        root=Path("."),
        project_dir=Path("dbt"),
        profiles_dir=Path("dbt"),
        consumer_schemas=("MARTS",),
        journal_schema="PIPELINEOPS",
        raw_schema="RAW",
        environments={},
        checks=ChecksConfig(),
        reader_roles=("PROD_REPORTER",),
    )
    engine, journal = FakeSnowflake(usage, select), FakeJournal()
    reporter = SimpleNamespace(
        info=lambda *a, **k: None, debug=lambda *a, **k: None, warning=lambda *a, **k: None
    )
    ctx = SimpleNamespace(
        config=cfg,
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        actor="tester",
        run_url="",
        environ={},
        reporter=reporter,
        env_name="prod",
        environment=SimpleNamespace(name="prod", dbt_target="prod", reader_roles=("PROD_REPORTER",)),
    )
    rt = SimpleNamespace(ctx=ctx, engine=engine, journal=journal)
    d = Deployer(rt, deploy_id="d2", git_sha="abc", extra_vars={})  # type: ignore[arg-type]
    previous = (
        Publication("d1", "deploy", live, "sha1", "ci", None, 0, serves="d1")  # type: ignore[arg-type]
        if live
        else None
    )
    d._set_colours(previous, "GREEN")
    d.published = PUBLISHED
    d.manifest = {
        "nodes": {
            "model.p.fct_orders": {
                "resource_type": "model",
                "name": "fct_orders",
                "schema": "MARTS__GREEN",
                "alias": "FCT_ORDERS",
                "config": {"materialized": "table"},
            }
        }
    }
    return d, engine, journal


def _plan(live: str | None = "BLUE") -> Any:
    inputs = DeployInputs(
        environment="prod",
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        live=live,  # type: ignore[arg-type]
        consumer_schemas=("MARTS",),
        dbt_target="prod",
        published=PUBLISHED,
        existing_views={},
        reader_roles=("PROD_REPORTER",),
    )
    return build_plan(inputs)


def _steps(journal: FakeJournal) -> list[tuple[object, object]]:
    return [(r["step"], r["status"]) for r in journal.rows]


def test_grants_present_after_the_swap_let_the_deploy_finish() -> None:
    d, engine, journal = _deployer(("PROD_REPORTER",))
    d._after_cutover(_plan())
    assert 'SHOW GRANTS ON SCHEMA "ANALYTICS"."MARTS"' in engine.executed
    assert 'SHOW GRANTS TO ROLE "PROD_REPORTER"' in engine.executed
    assert _steps(journal)[:2] == [("verify-grants", "started"), ("verify-grants", "succeeded")]
    assert _steps(journal)[-1] == ("finish", "succeeded")
    assert d.conclusion == "success"
    assert not any("SWAP" in s for s in engine.executed)


def test_a_reader_role_without_usage_fails_the_deploy_and_republishes_the_previous_colour() -> None:
    d, engine, journal = _deployer((), select=("PROD_REPORTER",))
    d._after_cutover(_plan())
    failed = next(r for r in journal.rows if r["step"] == "verify-grants" and r["status"] == "failed")
    assert failed["error"] == "PROD_REPORTER has no USAGE on MARTS"
    back = next(
        r
        for r in journal.rows
        if r.get("kind") == "rollback" and r["status"] == "succeeded" and r["step"] == "cutover"
    )
    assert (back["colour_from"], back["colour_to"]) == ("GREEN", "BLUE")
    # the re-publish is the same journalled cutover: shadow prepared, one swap row per schema, then cutover
    assert [r["step"] for r in journal.rows if r.get("kind") == "rollback"] == [
        "prepare-shadow",
        "prepare-shadow",
        "cutover",
        "swap",
        "cutover",
    ]
    assert "after failed verify-grants" in str(back["detail"])
    # BLUE is prepared in the shadow schema with the grants again, then swapped back
    assert 'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "PROD_REPORTER"' in engine.executed
    assert any('"MARTS__BLUE"' in s for s in engine.executed if s.startswith("CREATE OR REPLACE VIEW"))
    assert engine.executed[-1] == 'ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WITH "ANALYTICS"."MARTS__NEXT"'
    assert _steps(journal)[-1] == ("finish", "failed")
    assert not any(step == "smoke" for step, _ in _steps(journal))  # nothing after the failed check
    assert d.conclusion == "failure"
    assert "verify-grants failed after publishing GREEN; BLUE (deploy d1) re-published" in d.title
    assert str(back["detail"]).startswith("back to deploy d1: ")


def test_a_first_deploy_without_grants_fails_loudly_with_nothing_to_republish() -> None:
    d, engine, journal = _deployer((), live=None)
    d._after_cutover(_plan(live=None))
    assert _steps(journal)[-1] == ("finish", "failed")
    assert not any(s.startswith("ALTER SCHEMA") for s in engine.executed)
    assert d.conclusion == "failure"
    assert "no previous build to re-publish" in d.title


def test_the_local_engine_journals_verify_grants_as_skipped() -> None:
    d, engine, journal = _deployer(())
    engine.dialect = DUCKDB
    plan = _plan()
    local = replace(
        plan,
        steps=tuple(
            s if s.name != "verify-grants" else replace(s, sql=(), why="the local engine has no grants")
            for s in plan.steps
        ),
    )
    d._after_cutover(local)
    skipped = journal.rows[0]
    assert (skipped["step"], skipped["status"], skipped["detail"]) == (
        "verify-grants",
        "skipped",
        "the local engine has no grants",
    )
    assert not any(s.startswith("SHOW GRANTS") for s in engine.executed)


@dataclass
class HalfSwapped(FakeSnowflake):
    """MARTS already reads GREEN (swapped before the crash); FINANCE still reads BLUE."""

    def query(self, sql: str) -> list[dict[str, object]]:
        self.executed.append(sql)
        if "information_schema.views" in sql and "'MARTS'" in sql:
            return [{"name": "FCT_ORDERS", "sql": 'SELECT * FROM "ANALYTICS"."MARTS__GREEN"."FCT_ORDERS"'}]
        if "information_schema.views" in sql and "'FINANCE'" in sql:
            return [{"name": "FCT_REVENUE", "sql": 'SELECT * FROM "ANALYTICS"."FINANCE__BLUE"."FCT_REVENUE"'}]
        return super().query(sql)


def test_a_cutover_killed_between_swaps_is_completed_from_the_views_not_redone() -> None:
    d, _, journal = _deployer(("PROD_REPORTER",))
    engine = HalfSwapped(("PROD_REPORTER",))
    d.rt.engine = engine  # type: ignore[misc]
    d.cfg = replace(d.cfg, consumer_schemas=("MARTS", "FINANCE"))
    plan = build_plan(
        DeployInputs(
            environment="prod",
            dialect=SNOWFLAKE,
            database="ANALYTICS",
            live="BLUE",
            consumer_schemas=("MARTS", "FINANCE"),
            dbt_target="prod",
            published=(*PUBLISHED, Published("FINANCE", "FCT_REVENUE")),
            existing_views={},
        )
    )
    d._publisher().complete(plan.step("cutover"), "GREEN")
    swaps = [s for s in engine.executed if "SWAP WITH" in s]
    assert swaps == ['ALTER SCHEMA "ANALYTICS"."FINANCE" SWAP WITH "ANALYTICS"."FINANCE__NEXT"']
    steps = [(r["step"], r["status"]) for r in journal.rows]
    assert steps == [("swap", "succeeded"), ("cutover", "succeeded")]
    assert "1 swap(s) run now" in str(journal.rows[-1]["detail"])


def test_a_reader_role_with_usage_but_without_select_fails_the_deploy() -> None:
    """Finding M2: USAGE on the schema is not enough; verify-grants checks SELECT on every published view."""
    d, _, journal = _deployer(("PROD_REPORTER",), select=())
    d._after_cutover(_plan())
    failed = next(r for r in journal.rows if r["step"] == "verify-grants" and r["status"] == "failed")
    assert failed["error"] == "PROD_REPORTER has no SELECT on MARTS.FCT_ORDERS"
    assert d.conclusion == "failure"


def test_bluegreen_swap_takes_a_mode_and_backfill_does_not() -> None:
    import pytest

    from pipelineops.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["bluegreen-swap", "--mode", "full"]).mode == "full"
    assert parser.parse_args(["bluegreen-swap"]).mode is None  # deploy.mode decides
    with pytest.raises(SystemExit):
        parser.parse_args(["bluegreen-swap", "--mode", "fast"])
    args = parser.parse_args(["backfill", "--model", "m", "--start", "2026-01-01", "--end", "2026-01-02"])
    assert not hasattr(args, "mode")
