"""Row counts, the anomaly stage, the delivery numbers and the audit package on the Snowflake engine, after
one deploy.

The scenarios are the group "anomaly" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["anomaly"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
