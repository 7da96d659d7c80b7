"""PR CI on the Snowflake engine, end to end, after one production deploy: pr-schema create → slim-ci (the
changed mart is built into CI_PR_7_*, its unchanged parent deferred to production's consumer view) →
schema-cleanup. The tests share one workspace and run in file order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e_snowflake.conftest import Lane, LaneFactory

pytestmark = [pytest.mark.snowflake_e2e]


@pytest.fixture(scope="module")
def pr(tmp_path_factory: pytest.TempPathFactory, make_lane: LaneFactory) -> Iterator[Lane]:
    lane = make_lane(tmp_path_factory.mktemp("prci"), "prci")
    lane.ok("bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    config = lane.root / "pipelineops.yml"  # fct_orders declares no key: name one for the data diff
    config.write_text(config.read_text() + "slim_ci:\n  diff:\n    keys: {fct_orders: [id]}\n")
    lane.git("checkout", "-q", "-b", "pr-7")
    model = lane.root / "dbt" / "models" / "marts" / "fct_orders.sql"
    model.write_text(
        model.read_text().replace(
            "from {{ ref('stg_orders') }}", "from {{ ref('stg_orders') }} where amount > 5"
        )
    )
    lane.git("commit", "-qam", "PR 7: only orders above 5")
    yield lane
    lane.check_sent()


def test_pr_schema_creates_the_pr_schemas(pr: Lane) -> None:
    pr.ok("pr-schema", "create", "--pr", "7")
    assert {"CI_PR_7", "CI_PR_7_STAGING", "CI_PR_7_MARTS", "CI_PR_7_RAW"} <= pr.schemas()


def test_slim_ci_builds_the_change_and_defers_the_rest_to_production(pr: Lane, tmp_path: Path) -> None:
    comment = tmp_path / "comment.md"
    code, out, err = pr.cli(
        "slim-ci", "--pr", "7", "--base-ref", "main", "--comment-file", str(comment), "--json"
    )
    assert code == 0, out + err
    report = json.loads(out)  # stdout is exactly one JSON document
    assert report["conclusion"] == "success", report
    assert "fct_orders" in comment.read_text()
    # the data diff ran on the Snowflake engine: fct_orders keeps only the orders above 5
    (diff,) = report["data"]["data_diff"]
    assert (diff["name"], diff["status"], diff["key"]) == ("fct_orders", "compared", ["id"]), diff
    assert diff["pr_rows"] == 3 and diff["counts"]["added"] == 0
    assert diff["counts"]["removed"] == diff["prod_rows"] - 3 and diff["counts"]["changed"] == 0
    assert "#### Data changes" in comment.read_text()
    assert pr.query(f"SELECT COUNT(*) FROM {pr.database}.CI_PR_7_MARTS.FCT_ORDERS") == [(3,)]
    # the unchanged parent was read from production's consumer view, not rebuilt in the PR schema
    assert pr.query(f"SHOW TERSE OBJECTS IN SCHEMA {pr.database}.CI_PR_7_STAGING") == []


def test_schema_cleanup_drops_every_pr_schema_and_keeps_production(pr: Lane) -> None:
    pr.ok("schema-cleanup", "--pr", "7")
    left = pr.schemas()
    assert not {s for s in left if s.startswith("CI_PR_7")}
    assert {"STAGING", "MARTS", "RAW", "PIPELINEOPS"} <= left
    assert pr.view_colours("MARTS") == {"BLUE"}
