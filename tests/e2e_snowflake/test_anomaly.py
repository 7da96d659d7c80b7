"""Row counts, the anomaly stage and the delivery numbers on the Snowflake engine, after one deploy: the
deploy records its counts and commit time through the connector, and every statement passes the lane's
static Snowflake check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e_snowflake.conftest import Lane, LaneFactory

pytestmark = [pytest.mark.snowflake_e2e]


def _json(stdout: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        stdout[stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{") :]
    )
    return data


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory) -> Iterator[Lane]:
    lane = make_lane(tmp_path_factory.mktemp("anomaly"), "anomaly")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    yield lane
    lane.check_sent()


def test_the_deploy_records_row_counts_and_anomaly_does_not_judge_a_first_count(deployed: Lane) -> None:
    rows = deployed.query(
        f"SELECT deploy_id, model, row_count FROM {deployed.database}.PIPELINEOPS.DEPLOY_ROW_COUNTS ORDER BY model"
    )
    assert rows and {r[0] for r in rows} == {"a"}
    assert ("a", "marts.fct_orders", 4) in rows
    code, out, err = deployed.cli("anomaly", "--env", "prod", "--record", "--json")
    assert code == 0, out + err
    report = _json(out)
    assert report["outputs"]["anomaly-count"] == "0"
    assert all(v["status"] == "not judged" for v in report["data"]["verdicts"])


def test_status_since_reads_the_journal_through_the_connector(deployed: Lane) -> None:
    code, out, err = deployed.cli("status", "--env", "prod", "--since", "30d", "--json")
    assert code == 0, out + err
    delivery = _json(out)["data"]["delivery"]
    assert (delivery["deploys"], delivery["attempts"], delivery["failures"]) == (1, 1, 0)
