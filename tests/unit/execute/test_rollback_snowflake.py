"""The rollback executor on the Snowflake dialect: the same journalled cutover as a deploy (a ``swap`` row
after every SWAP), and a rollback killed between two swaps is completed by its re-run.

The engine is a small stateful fake: it keeps which colour each consumer schema's views read and swaps
them on ``ALTER SCHEMA … SWAP WITH``, so what readers would see is checked, not only the statements. The
statements it receives are the real ones of ``plan/`` and each passes the strict Snowflake check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.sqlcheck.golden import GoldenCase, assert_golden, dump_golden, load_golden
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.config.model import ChecksConfig, Config
from pipelineops.execute.republish import Rollback
from pipelineops.plan import history
from pipelineops.plan.sql import SNOWFLAKE

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "sql" / "rollback" / "executed_snowflake.sql"
CONSUMER = ("FINANCE", "MARTS")
TABLES = {"FINANCE": "FCT_REVENUE", "MARTS": "FCT_ORDERS"}


class Killed(BaseException):
    """The process died (SIGKILL): nothing after it runs, not even an error handler's journal row."""


@dataclass
class FakeJournal:
    trace: list[str]
    rows: list[dict[str, object]]
    lock: str | None = None
    dead: bool = False

    def migrate(self) -> None:
        return None

    def acquire(self, op_id: str, **_: object) -> None:
        assert self.lock in (None, op_id), f"lock held by {self.lock}"
        self.lock = op_id

    def release(self, op_id: str | None) -> None:
        if not self.dead and self.lock == op_id:
            self.lock = None

    def history(self) -> list[dict[str, object]]:
        return list(self.rows)

    def record(self, row: dict[str, object]) -> None:
        if self.dead:
            return
        self.rows.append(dict(row))
        self.trace.append(f"/* journal row: {row['step']} {row['status']} */")

    def manifest_of(self, deploy_id: str) -> None:
        return None


@dataclass
class FakeSnowflake:
    trace: list[str]
    views: dict[str, str] = field(default_factory=lambda: {"FINANCE": "GREEN", "MARTS": "GREEN"})
    kill_after_swaps: int | None = None
    dies_with: FakeJournal | None = None  # the journal of the same process
    dialect: str = SNOWFLAKE
    database: str = "ANALYTICS"
    swaps: int = 0

    def query(self, sql: str) -> list[dict[str, object]]:
        if sql.startswith("SHOW TERSE SCHEMAS"):
            names = [*CONSUMER, "PIPELINEOPS"]
            names += [f"{s}__{c}" for s in CONSUMER for c in ("BLUE", "GREEN")]
            return [{"name": n} for n in names]
        if sql.startswith("SHOW TERSE OBJECTS"):
            schema = re.findall(r'"([A-Z_]+)"', sql)[-1]
            base, _, colour = schema.partition("__")
            return [{"name": TABLES[base], "kind": "TABLE" if colour else "VIEW"}]
        if "information_schema.views" in sql:
            schema = re.search(r"table_schema = '([A-Z_]+)'", sql).group(1)  # type: ignore[union-attr]
            colour = self.views[schema]
            return [{"name": TABLES[schema], "sql": f'SELECT * FROM "ANALYTICS"."{schema}__{colour}"."X"'}]
        return [{"n": 1}]

    def execute(self, sql: str) -> int:
        check_snowflake_sql(sql)
        self.trace.append(sql + ";")
        view = re.match(
            r'CREATE OR REPLACE VIEW "ANALYTICS"\."([A-Z_]+)".* FROM "ANALYTICS"\."[A-Z]+__([A-Z]+)"', sql
        )
        if view:
            self.views[view.group(1)] = view.group(2)
        swap = re.match(r'ALTER SCHEMA "ANALYTICS"\."([A-Z]+)" SWAP WITH "ANALYTICS"\."([A-Z_]+)"', sql)
        if swap:
            a, b = swap.groups()
            self.views[a], self.views[b] = self.views.get(b, ""), self.views[a]
            self.swaps += 1
            if self.swaps == self.kill_after_swaps:
                if self.dies_with is not None:
                    self.dies_with.dead = True
                raise Killed
        return 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        return None


def _deploy(deploy_id: str, colour: str, at: int) -> list[dict[str, object]]:
    base = {"deploy_id": deploy_id, "kind": "deploy", "git_sha": f"sha-{deploy_id}", "colour_to": colour}
    t = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=at)
    return [
        {**base, "step": "build", "status": "started", "started_at": t},
        {**base, "step": "cutover", "status": "succeeded", "started_at": t},
        {**base, "step": "finish", "status": "succeeded", "started_at": t},
    ]


def _runtime(trace: list[str]) -> SimpleNamespace:
    cfg = Config(
        path=Path("pipelineops.yml"),
        root=Path("."),
        project_dir=Path("dbt"),
        profiles_dir=Path("dbt"),
        consumer_schemas=CONSUMER,
        journal_schema="PIPELINEOPS",
        raw_schema="RAW",
        environments={},
        checks=ChecksConfig(),
    )
    quiet = SimpleNamespace(info=lambda *a: None, warning=lambda *a: None, debug=lambda *a: None)
    ctx = SimpleNamespace(
        config=cfg,
        env_name="prod",
        clock=lambda: datetime(2026, 12, 6, tzinfo=UTC),
        actor="oncall",
        run_url="",
        environ={},
        reporter=quiet,
        dry_run=False,
        environment=SimpleNamespace(name="prod", reader_roles=()),
    )
    journal = FakeJournal(trace, [*_deploy("d1", "BLUE", 0), *_deploy("d2", "GREEN", 1)])
    return SimpleNamespace(ctx=ctx, engine=FakeSnowflake(trace), journal=journal)


def _rollback(rt: SimpleNamespace) -> Rollback:
    return Rollback(rt, rollback_id="gh-77", to_deploy=None, reason="bad d2")  # type: ignore[arg-type]


def test_a_snowflake_rollback_journals_every_swap_like_a_deploy() -> None:
    trace: list[str] = []
    rt = _runtime(trace)
    result = _rollback(rt).execute(force_unlock=False)
    assert result.conclusion == "success" and result.target is not None
    assert result.target.deploy_id == "d1"
    assert rt.engine.views == {
        "FINANCE": "BLUE",
        "MARTS": "BLUE",
        "FINANCE__NEXT": "GREEN",
        "MARTS__NEXT": "GREEN",
    }
    rows = [r for r in rt.journal.rows if r["deploy_id"] == "gh-77"]
    assert all(str(r.get("detail", "")).startswith("back to deploy d1") for r in rows)
    assert history.lineage(rt.journal.rows).serving.deploy_id == "d1"  # type: ignore[union-attr]
    expected = GoldenCase(
        GOLDEN, 1, {"case": "republish_two_schemas_journalled", "dialect": "snowflake"}, "\n".join(trace)
    )
    if not GOLDEN.exists():
        GOLDEN.write_text(dump_golden([expected]), encoding="utf-8")
    (golden,) = load_golden(GOLDEN)
    assert_golden(golden, "\n".join(trace))


def test_a_rollback_killed_between_swaps_is_completed_by_its_rerun() -> None:
    trace: list[str] = []
    rt = _runtime(trace)
    rt.engine.kill_after_swaps, rt.engine.dies_with = 1, rt.journal
    with pytest.raises(Killed):
        _rollback(rt).execute(force_unlock=False)
    assert rt.engine.views["FINANCE"] == "BLUE" and rt.engine.views["MARTS"] == "GREEN"  # mixed
    assert rt.journal.lock == "gh-77"  # the dead run still holds the lock
    steps = [(r["step"], r["status"]) for r in rt.journal.rows if r["deploy_id"] == "gh-77"]
    assert steps[-1] == ("cutover", "started")  # it died after the first SWAP, before that swap's row
    # the re-run with the same id swaps only what is left, then verifies and finishes
    rt.journal.dead, rt.engine.kill_after_swaps = False, None
    trace.clear()
    result = _rollback(rt).execute(force_unlock=False)
    assert result.conclusion == "success"
    assert rt.engine.views["FINANCE"] == "BLUE" and rt.engine.views["MARTS"] == "BLUE"
    swaps = [s for s in trace if "SWAP WITH" in s]
    assert swaps == ['ALTER SCHEMA "ANALYTICS"."MARTS" SWAP WITH "ANALYTICS"."MARTS__NEXT";']
    steps = [(r["step"], r["status"]) for r in rt.journal.rows if r["deploy_id"] == "gh-77"]
    assert steps[-5:] == [
        ("swap", "succeeded"),
        ("cutover", "succeeded"),
        ("verify-grants", "skipped"),
        ("smoke", "succeeded"),
        ("finish", "succeeded"),
    ]
    assert history.live(rt.journal.rows).deploy_id == "gh-77"  # type: ignore[union-attr]
    assert rt.journal.lock is None


def test_a_rerun_of_a_finished_rollback_changes_nothing() -> None:
    trace: list[str] = []
    rt = _runtime(trace)
    _rollback(rt).execute(force_unlock=False)
    trace.clear()
    result = _rollback(rt).execute(force_unlock=False)
    assert result.conclusion == "neutral" and "already finished (back to deploy d1)" in result.title
    assert trace == []
