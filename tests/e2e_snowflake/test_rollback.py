"""rollback, time-travel restores and status on the Snowflake engine, end to end, after two deploys (BLUE,
then GREEN). The scenarios share one workspace and run in order (make test distributes whole files).

The scenarios are the group "rollback" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["rollback"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
