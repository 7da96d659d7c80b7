"""bluegreen-swap on the Snowflake engine, end to end (first and second deploy, failed gate, killed run)."""

from __future__ import annotations

import pytest
from tests.e2e_snowflake.conftest import Lane

pytestmark = [pytest.mark.snowflake_e2e]


def test_first_and_second_deploy_alternate_colours(lane: Lane) -> None:
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "d2")
