"""The Snowflake cutover's guarantee, end to end (finding M4; ARCHITECTURE.md "Cross-schema atomicity"):
each consumer schema flips in one atomic SWAP, so a reader inside one schema never sees two colours; a swap
whose reply is lost is read back from where the schema's views point, and the lock is never released in a
state the journal does not say.

The scenarios are the group "cutover" of tests/snowflake_lanes/scenarios.py (the live lane runs them too)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import EmulatorLane
from tests.snowflake_lanes.scenarios import BY_GROUP, Scenario

pytestmark = [pytest.mark.snowflake_e2e]
GROUP = BY_GROUP["cutover"]


@pytest.mark.parametrize("scenario", GROUP.scenarios, ids=lambda s: s.name)
def test_scenario(scenario: Scenario, group_lane: EmulatorLane) -> None:
    scenario.run(group_lane)
