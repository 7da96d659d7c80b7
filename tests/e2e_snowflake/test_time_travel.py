"""Time-travel restores on the Snowflake engine through the UNDROP route (the table was re-created after the
point in time, as dbt's CREATE OR REPLACE does), after one production deploy (BLUE live)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.e2e_snowflake.conftest import Lane, LaneFactory

pytestmark = [pytest.mark.snowflake_e2e]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory) -> Iterator[Lane]:
    lane = make_lane(tmp_path_factory.mktemp("time_travel"), "time_travel")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    yield lane
    lane.check_sent()


def _moment() -> datetime:
    time.sleep(0.05)
    moment = datetime.now(UTC)
    time.sleep(0.05)
    return moment


def _recreate(lane: Lane, where: str) -> None:
    """What a dbt table build does: CREATE OR REPLACE (the old table is dropped, its history restarts)."""
    table = f"{lane.database}.MARTS__BLUE.FCT_ORDERS"
    lane.query(f"CREATE OR REPLACE TRANSIENT TABLE {table} AS SELECT * FROM {table} WHERE {where}")


def test_a_failed_undrop_route_gives_the_live_table_its_name_back(deployed: Lane) -> None:
    """Finding H3: the route renames the live table first; when a later step fails, it is renamed back."""
    point = _moment()
    _recreate(deployed, "id <= 3")
    _recreate(deployed, "id <= 2")  # UNDROP brings back the 3-row table, itself created after the point
    code, out, err = deployed.cli(
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--at",
        point.isoformat(),
        "--reason",
        "r",
    )
    assert code == 3, out + err
    assert "Time travel data is not available" in err
    assert deployed.query(f"SELECT COUNT(*) FROM {deployed.database}.MARTS.FCT_ORDERS") == [(2,)]
    rows = deployed.query(
        f"SELECT step, detail FROM {deployed.database}.PIPELINEOPS.DEPLOY_STATE WHERE kind = 'restore' "
        "AND step = 'undo'"
    )
    assert len(rows) == 1 and "undone after" in rows[0][1] and "__UNDROPPED_" in rows[0][1]
    failed = deployed.query(
        f"SELECT error FROM {deployed.database}.PIPELINEOPS.DEPLOY_STATE WHERE kind = 'restore' "
        "AND step = 'finish' AND status = 'failed'"
    )
    assert len(failed) == 1 and "Time travel data is not available" in failed[0][0]
    assert deployed.lock_holder() is None


def test_the_undrop_route_restores_the_version_create_or_replace_dropped(deployed: Lane) -> None:
    point = _moment()
    _recreate(deployed, "id <= 1")
    out = deployed.ok(
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--at",
        point.isoformat(),
        "--reason",
        "r",
    )
    assert "route" in out and "undrop" in out, out
    assert deployed.query(f"SELECT COUNT(*) FROM {deployed.database}.MARTS.FCT_ORDERS") == [(2,)]
    assert deployed.shim.kinds[(deployed.database, "MARTS__BLUE", "FCT_ORDERS")] == "TRANSIENT"


@pytest.mark.parametrize(
    ("query_type", "days", "problem"),
    [
        ("CREATE_TABLE_AS_SELECT", 0, "is a CREATE_TABLE_AS_SELECT statement"),  # dbt's table build: DDL
        ("DELETE", 15, "younger than 14 days"),
        (None, 0, "not in the query history"),
    ],
)
def test_before_statement_is_refused_for_ddl_and_old_query_ids(
    deployed: Lane, query_type: str | None, days: int, problem: str
) -> None:
    """Finding L1: BEFORE (STATEMENT) takes DML query ids younger than 14 days; anything else is refused
    before the lock, naming the fix, and nothing is written."""
    qid = f"01b2c3d4-0000-1111-0000-{len(problem):012d}"  # one id per case (the shim lives for the module)
    if query_type:
        deployed.shim.queries[qid] = (query_type, datetime.now(UTC) - timedelta(days=days, minutes=5))
    rows = len(deployed.query(f"SELECT * FROM {deployed.database}.PIPELINEOPS.DEPLOY_STATE"))
    code, out, err = deployed.cli(
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--before-statement",
        qid,
        "--reason",
        "r",
    )
    assert code == 2, out + err
    assert problem in out + err and "--at" in out + err and "--to <deploy id>" in out + err
    assert len(deployed.query(f"SELECT * FROM {deployed.database}.PIPELINEOPS.DEPLOY_STATE")) == rows
    assert deployed.lock_holder() is None
