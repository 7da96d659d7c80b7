"""freshness and parity-check on the Snowflake engine, end to end, after one production deploy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.e2e_snowflake.conftest import Lane, LaneFactory

pytestmark = [pytest.mark.snowflake_e2e]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory) -> Iterator[Lane]:
    lane = make_lane(tmp_path_factory.mktemp("checks"), "checks")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    yield lane
    lane.check_sent()


def test_freshness_reports_the_late_feed_as_a_warning(deployed: Lane) -> None:
    out = deployed.ok("freshness", "--env", "prod")
    assert "raw.raw_orders" in out and "warn_after" in out
    code, out, err = deployed.cli("freshness", "--env", "prod", "--fail-on", "warn")
    assert code == 1, out + err


def test_parity_check_compares_two_environments_of_one_account(deployed: Lane) -> None:
    code, out, err = deployed.cli("parity-check", "--env", "dev", "--against", "prod", "--json")
    assert code == 0, out + err
    report = json.loads(out)  # stdout is exactly one JSON document
    assert report["conclusion"] == "success", report
