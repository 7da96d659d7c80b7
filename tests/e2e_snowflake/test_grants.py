"""Grants across a Snowflake cutover, end to end (findings M2 and M3): the shadow schema starts as the
consumer schema's twin, the reader roles keep SELECT on every view, and verify-grants checks SELECT as well
as USAGE, and says so when it cannot check.

The scenarios are the group "grants" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["grants"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
