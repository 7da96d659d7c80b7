"""The Snowflake cutover's guarantee, end to end (finding M4; ARCHITECTURE.md "Cross-schema atomicity"):
each consumer schema flips in one atomic SWAP, so a reader inside one schema never sees two colours; across
schemas readers may see different colours while the cutover runs. A swap whose reply is lost is read back
from where the schema's views point, and the lock is never released in a state the journal does not say."""

from __future__ import annotations

import threading
import time

import pytest
from tests.e2e_snowflake.conftest import Lane
from tests.e2e_snowflake.shim import Fault

pytestmark = [pytest.mark.snowflake_e2e]
SCHEMAS = ("STAGING", "MARTS")
MARTS_SWAP = r'^ALTER SCHEMA "[A-Z_]+"\."MARTS" SWAP WITH'


def test_a_reader_inside_one_schema_never_sees_two_colours(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    seen: dict[str, list[frozenset[str]]] = {s: [] for s in SCHEMAS}
    stop = threading.Event()

    def read(schema: str) -> None:
        # one statement reads every view of the schema (what a reader's query over several views sees)
        while not stop.is_set():
            seen[schema].append(frozenset(lane.view_colours(schema)))
            time.sleep(0.05)

    readers = [threading.Thread(target=read, args=(s,), daemon=True) for s in SCHEMAS]
    for t in readers:
        t.start()
    try:
        lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60)
    for schema in SCHEMAS:
        snapshots = seen[schema]
        assert snapshots, schema
        assert all(len(colours) == 1 for colours in snapshots), (schema, set(snapshots))
        flips = [i for i in range(1, len(snapshots)) if snapshots[i] != snapshots[i - 1]]
        assert len(flips) <= 1, (schema, snapshots)  # BLUE … then GREEN …, never back
        assert snapshots[0] == {"BLUE"} or not flips
        assert lane.view_colours(schema) == {"GREEN"}


def test_a_swap_whose_reply_is_lost_is_read_back_and_journalled(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    lane.shim.faults.append(Fault(MARTS_SWAP, "after"))  # the swap happens, its reply is an error
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    details = lane.query(
        f"SELECT detail FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE deploy_id = 'd2' AND step = 'swap' AND status = 'succeeded' ORDER BY finished_at"
    )
    assert len(details) == 2 and "confirmed after a lost reply" in str(details[1][0])
    assert lane.lock_holder() is None


def test_a_lost_reply_that_cannot_be_read_back_keeps_the_lock_until_the_rerun(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    lane.shim.faults += [
        Fault(MARTS_SWAP, "after"),
        Fault(r"information_schema\.views WHERE table_schema = 'MARTS'", "before"),
    ]
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 3, out + err
    assert "outcome cannot be read" in out + err and "re-run with the same id (d2)" in out + err
    # production moved, the journal has no cutover of d2 yet: the lock stays with d2, nothing else starts
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.journal("cutover") == [("d1", "BLUE")]
    assert lane.lock_holder() == "d2"
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d3")
    assert code == 2 and "held by deploy d2" in out + err
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")  # completes from where the views point
    assert lane.journal("cutover") == [("d1", "BLUE"), ("d2", "GREEN")]
    assert lane.lock_holder() is None


def test_a_failed_swap_after_another_schema_moved_keeps_the_lock(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    lane.shim.faults.append(Fault(MARTS_SWAP, "before"))  # STAGING swapped, MARTS refused
    code, out, err = lane.cli("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert code == 3, out + err
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"BLUE"}}
    swaps = lane.query(
        f"SELECT status, detail FROM {lane.database}.PIPELINEOPS.DEPLOY_STATE "
        "WHERE deploy_id = 'd2' AND step = 'swap' ORDER BY finished_at"
    )
    assert [s for s, _ in swaps] == ["succeeded", "failed"]  # the journal says exactly which schema moved
    assert "STAGING" in str(swaps[0][1]) and swaps[1][1] == "MARTS"
    assert lane.lock_holder() == "d2"
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
    assert {s: lane.view_colours(s) for s in SCHEMAS} == {"STAGING": {"GREEN"}, "MARTS": {"GREEN"}}
    assert lane.lock_holder() is None
