"""PR CI on the Snowflake engine, end to end, after one production deploy: pr-schema create → slim-ci (the
changed mart is built into CI_PR_7_*, its unchanged parent deferred to production's consumer view) →
schema-cleanup. The scenarios share one workspace and run in order.

The scenarios are the group "pr-ci" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["pr-ci"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
