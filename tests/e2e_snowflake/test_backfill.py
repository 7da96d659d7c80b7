"""backfill on the Snowflake engine, end to end: the microbatch model's days are re-run one dbt batch at a
time into the idle colour, which is then published like a deploy."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import Lane

pytestmark = [pytest.mark.snowflake_e2e]


def test_backfill_rebuilds_the_range_in_the_idle_colour_and_publishes_it(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    live = f"{lane.database}.MARTS__BLUE.DAILY_REVENUE"
    assert lane.query(f"SELECT COUNT(*) FROM {live}") == [(4,)]
    lane.query(f"DELETE FROM {live} WHERE ordered_at = '2026-12-02'")  # a day lost
    out = lane.ok(
        "backfill",
        "--env",
        "prod",
        "--model",
        "daily_revenue",
        "--start",
        "2026-12-02",
        "--end",
        "2026-12-03",
        "--deploy-id",
        "bf1",
    )
    assert "batch 1/1 2026-12-02 → 2026-12-03 … ok" in out, out
    assert lane.view_colours("MARTS") == {"GREEN"}
    assert lane.query(f"SELECT COUNT(*) FROM {lane.database}.MARTS.DAILY_REVENUE") == [(4,)]
    assert lane.lock_holder() is None
