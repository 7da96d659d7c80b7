"""rollback and status on the Snowflake engine, end to end, after two real deploys (BLUE, then GREEN).

The tests share one workspace and run in file order (make test distributes whole files)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.e2e_snowflake.conftest import Lane, LaneFactory

pytestmark = [pytest.mark.snowflake_e2e]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory) -> Iterator[Lane]:
    lane = make_lane(tmp_path_factory.mktemp("rollback"), "rollback")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "b")
    yield lane
    lane.check_sent()


def test_status_names_the_live_colour_the_deploys_and_a_free_lock(deployed: Lane) -> None:
    out = deployed.ok("status", "--env", "prod")
    assert "GREEN is live" in out
    assert "b" in out and "a" in out
    assert "Held by" not in out


def test_time_travel_restores_the_rows_before_a_bad_append(deployed: Lane) -> None:
    table = f"{deployed.database}.MARTS__GREEN.FCT_ORDERS"
    before = deployed.query(f"SELECT * FROM {table} ORDER BY id")
    time.sleep(0.05)
    good = datetime.now(UTC)
    time.sleep(0.05)
    deployed.query(f"INSERT INTO {table} SELECT * FROM {table} WHERE id > 2")  # the bad append
    assert len(deployed.query(f"SELECT * FROM {table}")) == len(before) + 2
    out = deployed.ok(
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--at",
        good.isoformat(),
        "--reason",
        "bad append",
    )
    assert "Restored MARTS__GREEN.FCT_ORDERS: 6 → 4 rows" in out, out
    assert deployed.query(f"SELECT * FROM {deployed.database}.MARTS.FCT_ORDERS ORDER BY id") == before
    # the restored table keeps its kind, and the replaced rows are kept aside
    assert deployed.shim.kinds[(deployed.database, "MARTS__GREEN", "FCT_ORDERS")] == "TRANSIENT"
    aside = [n for (db, s, n) in deployed.shim.kinds if s == "MARTS__GREEN" and n.startswith("FCT_ORDERS__")]
    assert len(aside) == 1
    assert len(deployed.query(f"SELECT * FROM {deployed.database}.MARTS__GREEN.{aside[0]}")) == 6
    assert deployed.lock_holder() is None


def test_time_travel_to_a_deploy_reads_the_colour_live_at_that_time(deployed: Lane) -> None:
    """Finding H2: at deploy a's finish BLUE was live; GREEN's table did not even exist yet."""
    green = f"{deployed.database}.MARTS__GREEN.FCT_ORDERS"
    deployed.query(f"INSERT INTO {green} SELECT * FROM {green} WHERE id = 1")  # a bad row in the live colour
    time.sleep(1.1)  # restore ids have one-second resolution: this restore gets its own side-table names
    out = deployed.ok(
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--to",
        "a",
        "--reason",
        "r",
    )
    assert "Restored MARTS__GREEN.FCT_ORDERS: 5 → 4 rows" in out, out
    blue = deployed.query(f"SELECT * FROM {deployed.database}.MARTS__BLUE.FCT_ORDERS ORDER BY id")
    assert deployed.query(f"SELECT * FROM {deployed.database}.MARTS.FCT_ORDERS ORDER BY id") == blue
    assert deployed.view_colours("MARTS") == {"GREEN"}  # the data came back, the publication did not change


def test_rollback_republishes_the_previous_colour_and_is_journalled(deployed: Lane) -> None:
    code, _, err = deployed.cli("rollback", "--env", "prod")
    assert code == 2 and "--reason" in err  # prod requires a reason
    out = deployed.ok("rollback", "--env", "prod", "--reason", "bad numbers", env={"GITHUB_ACTOR": "oncall"})
    assert "Rolled back prod to BLUE (deploy a)" in out
    assert deployed.view_colours("STAGING") == deployed.view_colours("MARTS") == {"BLUE"}
    rows = deployed.query(
        f"SELECT actor, reason, colour_from, colour_to FROM {deployed.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE kind = 'rollback' AND step = 'cutover' AND status = 'succeeded'"
    )
    assert rows == [("oncall", "bad numbers", "GREEN", "BLUE")]
    assert deployed.lock_holder() is None
    assert "BLUE is live" in deployed.ok("status", "--env", "prod")
