"""Live lane: the Snowflake end-to-end scenarios, the engine and plan/sql against a real account.

Runs only when every ``PIPELINEOPS_TEST_SNOWFLAKE_*`` variable of ``tests/snowflake_lanes/live.py`` is set
(trusted events, an environment-protected secret); otherwise the whole module is skipped with the list of
missing variables. ``tests/live/test_lanes.py`` runs without them and checks this module's scenario list.

``test_scenario`` runs every scenario of ``tests/snowflake_lanes/scenarios.py`` that is not emulator-only (the
emulator lane, ``tests/e2e_snowflake``, runs all of them) on a ``LiveLane``: a database of its own per
scenario, or per shared group, created and dropped by the test role, with reader roles of its own. The
emulator-only scenarios inject faults or fabricate state a real account cannot be made to produce on demand
(a lost or refused reply, a swallowed grant, a query history entry); the registry gives each its reason.

The statement-level tests below work in two uniquely named schemas of ``PIPELINEOPS_TEST_SNOWFLAKE_DATABASE``
that are dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from tests.snowflake_lanes.live import PREFIX, REQUIRED, LiveLane, LiveSettings, missing, open_lane, run_tag
from tests.snowflake_lanes.scenarios import BY_GROUP, LIVE, Scenario
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.base import first_value, iter_names
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.plan import sql
from pipelineops.plan.sql import SNOWFLAKE
from pipelineops.plan.sql.time_travel import PointInTime, count_at

MISSING = missing(os.environ)
if MISSING:
    pytest.skip(
        "live Snowflake tests need "
        + ", ".join(PREFIX + n for n in REQUIRED)
        + f" (missing: {', '.join(MISSING)})",
        allow_module_level=True,
    )

pytestmark = pytest.mark.live
D: sql.Dialect = SNOWFLAKE


@pytest.fixture(scope="module")
def engine() -> Iterator[SnowflakeEngine]:
    env = os.environ
    environ = {"SNOWFLAKE_PRIVATE_KEY": env[PREFIX + "PRIVATE_KEY"]}
    if env.get(PREFIX + "PRIVATE_KEY_PASSPHRASE"):
        environ["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] = env[PREFIX + "PRIVATE_KEY_PASSPHRASE"]
    settings = SnowflakeConnection(
        account=env[PREFIX + "ACCOUNT"],
        user=env[PREFIX + "USER"],
        role=env[PREFIX + "ROLE"],
        warehouse=env[PREFIX + "WAREHOUSE"],
    )
    eng = SnowflakeEngine.connect(
        settings,
        database=env[PREFIX + "DATABASE"],
        environ=environ,
        query_tag={
            "repo": env.get("GITHUB_REPOSITORY", "local"),
            "run_id": env.get("GITHUB_RUN_ID", "0"),
            "stage": "live-test",
        },
    )
    yield eng
    eng.close()


def run(engine: SnowflakeEngine, statement: str) -> None:
    check_snowflake_sql(statement)
    engine.execute(statement)


def test_schema_view_swap_time_travel_and_drop(engine: SnowflakeEngine) -> None:
    db = engine.database
    tag = secrets.token_hex(4).upper()
    live, idle = f"PIPELINEOPS_LIVE_{tag}", f"PIPELINEOPS_LIVE_{tag}__NEXT"
    table = sql.Relation(db, idle, "ORDERS")
    view = sql.Relation(db, live, "ORDERS")
    try:
        run(engine, sql.create_schema(db, live, D))
        run(engine, sql.create_schema(db, idle, D))
        assert {live, idle} <= set(iter_names(engine.query(sql.list_schemas(db, D))))

        engine.execute(f"CREATE TABLE {table.sql(D)} (ID INT)")
        engine.execute(f"INSERT INTO {table.sql(D)} VALUES (1), (2), (3)")
        run(engine, sql.create_view(view, table, D))
        assert first_value(engine.query(sql.row_count(view, D))) == 3

        time.sleep(2)  # so that one second ago the table already held its rows
        engine.execute(f"DELETE FROM {table.sql(D)} WHERE ID = 3")
        past = count_at(table, PointInTime("offset", offset_s=-1), D)
        check_snowflake_sql(past)
        assert first_value(engine.query(past)) == 3
        assert first_value(engine.query(sql.row_count(table, D))) == 2

        run(engine, sql.swap_schema(db, live, idle, D))
        kinds_live = {str(r["name"]): r["kind"] for r in engine.query(sql.list_relations(db, live, D))}
        kinds_idle = {str(r["name"]): r["kind"] for r in engine.query(sql.list_relations(db, idle, D))}
        assert kinds_live == {"ORDERS": "TABLE"} and kinds_idle == {"ORDERS": "VIEW"}
    finally:
        for schema in (live, idle):
            run(engine, sql.drop_schema(db, schema, D))
    assert not {live, idle} & set(iter_names(engine.query(sql.list_schemas(db, D))))


class LiveLanes:
    """The lanes of the module's scenarios: a fresh one per scenario, or one per shared group (set up by its
    first scenario, dropped after its last one, or at the end of the module whatever happened)."""

    def __init__(self, settings: LiveSettings, base: Path, tag: str) -> None:
        self.settings, self.base, self.tag = settings, base, tag
        self.groups: dict[str, tuple[ExitStack, LiveLane]] = {}
        self.failed: dict[str, str] = {}

    @contextmanager
    def lane_for(self, scenario: Scenario) -> Iterator[LiveLane]:
        group = BY_GROUP[scenario.group]
        if not group.shared:
            with open_lane(self.settings, self.base / scenario.name, scenario.name, self.tag) as lane:
                yield lane
            return
        if scenario.group in self.failed:
            pytest.fail(f"the setup of group {scenario.group} failed: {self.failed[scenario.group]}")
        if scenario.group not in self.groups:
            stack = ExitStack()
            try:
                lane = stack.enter_context(
                    open_lane(self.settings, self.base / group.name, group.name, self.tag)
                )
                assert group.setup is not None
                group.setup(lane)
            except BaseException as exc:
                self.failed[scenario.group] = str(exc)[:500]
                stack.close()
                raise
            self.groups[scenario.group] = (stack, lane)
        try:
            yield self.groups[scenario.group][1]
        finally:
            if [s for s in LIVE if s.group == scenario.group][-1] == scenario:
                self.groups.pop(scenario.group)[0].close()

    def close(self) -> None:
        while self.groups:
            self.groups.popitem()[1][0].close()


@pytest.fixture(scope="module")
def live_lanes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLanes]:
    lanes = LiveLanes(
        LiveSettings.from_environ(os.environ), tmp_path_factory.mktemp("live"), run_tag(os.environ)
    )
    try:
        yield lanes
    finally:
        lanes.close()


@pytest.mark.parametrize("scenario", LIVE, ids=str)
def test_scenario(scenario: Scenario, live_lanes: LiveLanes) -> None:
    with live_lanes.lane_for(scenario) as lane:
        scenario.run(lane)
