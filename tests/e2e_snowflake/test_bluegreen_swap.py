"""bluegreen-swap on the Snowflake engine, end to end: first and second deploy, a failed gate, a killed and
resumed deploy. dbt-snowflake builds each colour; the cutover is one SWAP per consumer schema."""

from __future__ import annotations

import signal

import pytest
from tests.e2e_snowflake.conftest import Lane

pytestmark = [pytest.mark.snowflake_e2e]
SCHEMAS = ("STAGING", "MARTS")


def test_first_and_second_deploy_alternate_colours(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"BLUE"}, "MARTS": {"BLUE"}}
    # the second deploy carries the transient incremental table over with a transient clone (finding H1)
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.shim.kinds[(lane.database, "MARTS__GREEN", "ORDERS_DAILY")] == "TRANSIENT"
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.FCT_ORDERS") == [(4,)]
    assert lane.query(f"SELECT SUM(orders) FROM {lane.database}.MARTS.ORDERS_DAILY") == [(4,)]
    assert lane.lock_holder() is None  # released after dbt ran: the session stayed open (finding C1)
    for schema in SCHEMAS:
        assert "REPORTER" in lane.shim.roles_with("USAGE", "SCHEMA", (lane.database, schema, ""))


def test_failed_gate_publishes_nothing_and_releases_the_lock(lane: Lane) -> None:
    code, out, err = lane.cli(
        "bluegreen-swap", "--env", "prod", "--deploy-id", "bad", "--vars", "{lane_fail_gate: true}"
    )
    assert code == 1, out + err
    assert "not_null" in out + err
    assert lane.journal("cutover") == []
    assert lane.view_colours("MARTS") == set()
    assert lane.lock_holder() is None  # the next deploy may start


def test_deploy_killed_between_two_schema_swaps_converges_on_rerun(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    code = lane.killed("bluegreen-swap", "--env", "prod", "--deploy-id", "d2", boundary="swap:succeeded")
    assert code == -signal.SIGKILL
    # killed after the first SWAP: the schemas are mixed and the lock is still held by d2
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"BLUE"}}
    assert lane.lock_holder() == "d2"
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert lane.lock_holder() is None
