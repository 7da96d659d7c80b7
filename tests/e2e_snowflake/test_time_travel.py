"""Time-travel restores on the Snowflake engine through the UNDROP route (the table was re-created after the
point in time, as dbt's CREATE OR REPLACE does), after one production deploy (BLUE live); BEFORE
(STATEMENT) refusals (finding L1).

The scenarios are the group "time-travel" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["time-travel"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
