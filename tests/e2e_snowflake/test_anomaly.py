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


def test_the_audit_package_builds_on_dbt_snowflake(deployed: Lane) -> None:
    """packages/pipelineops_audit installed with a `local:` entry, built by dbt-snowflake on the emulator."""
    import io
    import subprocess
    import sys
    from pathlib import Path

    from tests.e2e.workspace import REPO

    from pipelineops.config import load_config
    from pipelineops.execute.runtime import Runtime
    from pipelineops.report.reporter import make_reporter

    project = deployed.root / "dbt"
    (project / "packages.yml").write_text(
        f"packages:\n  - local: {REPO / 'packages' / 'pipelineops_audit'}\n", encoding="utf-8"
    )
    deps = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "deps"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "HOME": str(deployed.root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deps.returncode == 0, deps.stdout[-3000:]
    rt = Runtime.open(
        config=load_config(deployed.root / "pipelineops.yml"),
        env_name="prod",
        dry_run=False,
        reporter=make_reporter({}, io.StringIO()),
        environ={"PATH": "/usr/bin:/bin", "HOME": str(deployed.root), "SNOWFLAKE_PRIVATE_KEY": deployed.pem},
        stage="audit",
    )
    try:
        build = rt.run_dbt(
            "audit",
            (
                "build",
                "--select",
                "package:pipelineops_audit",
            ),
        )
    finally:
        rt.close()
        (project / "packages.yml").unlink()
    assert build.ok, "\n".join(build.output_tail[-40:])
    rows = deployed.query(
        f"SELECT environment, deploys, attempts, failures FROM {deployed.database}.ANALYTICS.AUDIT_DORA"
    )
    assert rows == [("prod", 1, 1, 0)]
