"""backfill on the Snowflake engine, end to end: the microbatch model's days are re-run one dbt batch at a
time into the idle colour, which is then published like a deploy.

The scenarios are the group "backfill" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["backfill"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
