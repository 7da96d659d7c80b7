"""Row-count anomalies and the delivery numbers on the local engine, from a journal filled by real deploys.

One workspace of the two-model ``tests/fixtures/dbt_tiny`` project (what is judged is the journal and the
counts, not the models), in file order: deploy a records each published model's row count and its commit time;
``anomaly`` does not judge a first count, catches a planted drop, records the live counts with --record;
deploy b publishes (its step summary carries the delivery numbers and a Mermaid chart), a rollback takes it
off, and with ``checks.anomaly`` a planted history makes deploy c's counts anomalous, so the gate blocks
it. ``status --since 30d`` then reports 2 deploys, 2 failures of 3 and one restore.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.workspace import REPO, cli, engine, make_workspace

from pipelineops.plan.sql import DUCKDB
from pipelineops.plan.sql import row_counts as rsql

pytestmark = [pytest.mark.e2e]
TINY = REPO / "tests" / "fixtures" / "dbt_tiny"
MODELS = {"marts.numbers", "marts.squares"}
WATCHED = "marts.squares"


def _json(stdout: str) -> dict[str, Any]:
    start = stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{")
    data: dict[str, Any] = json.loads(stdout[start:])
    return data


def _query(root: Path, sql: str) -> list[dict[str, Any]]:
    eng = engine(root)
    try:
        return eng.query(sql)
    finally:
        eng.close()


def _counts(root: Path) -> list[dict[str, Any]]:
    return _query(root, rsql.select_counts("lake", "PIPELINEOPS", "prod", DUCKDB))


def _plant(root: Path, counts: dict[str, int], times: list[datetime]) -> None:
    """History the tests control: one recording per time, of ``counts``."""
    eng = engine(root)
    try:
        for i, at in enumerate(times):
            for stmt in rsql.insert_counts(
                "lake",
                "PIPELINEOPS",
                environment="prod",
                deploy_id=f"planted-{at:%Y%m%d%H%M%S}-{i}",
                counts=counts,
                at=at,
                source="scheduled",
                dialect=DUCKDB,
            ):
                eng.execute(stmt)
    finally:
        eng.close()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("anomaly"), TINY)
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "a")
    assert code == 0, out[-3000:] + err
    return root


def test_a_deploy_records_each_published_models_row_count_and_its_commit_time(ws: Path) -> None:
    rows = _counts(ws)
    assert {r["model"] for r in rows} == MODELS
    assert {r["deploy_id"] for r in rows} == {"a"} and {r["source"] for r in rows} == {"deploy"}
    assert all(int(r["row_count"]) > 0 for r in rows)
    commits = _query(ws, rsql.select_commits("lake", "PIPELINEOPS", "prod", DUCKDB))
    assert [c["deploy_id"] for c in commits] == ["a"] and len(str(commits[0]["git_sha"])) == 40


def test_a_first_count_is_not_judged(ws: Path) -> None:
    code, out, err = cli(ws, "anomaly", "--env", "prod", "--json")
    assert code == 0, out[-3000:] + err
    report = _json(out)
    n = len(MODELS)
    assert report["outputs"] == {"anomaly-count": "0", "not-judged-count": str(n)}
    assert f"{n} not judged (too little history)" in report["title"]
    reasons = {v["model"]: v["reason"] for v in report["data"]["verdicts"]}
    assert reasons[WATCHED] == "not judged: 0 earlier counts, needs 7 (min_history)"


def test_a_planted_drop_is_caught_with_its_reason(ws: Path) -> None:
    real = {str(r["model"]): int(r["row_count"]) for r in _counts(ws)}
    base = datetime.now(UTC) - timedelta(days=10)
    _plant(ws, {m: n * 10 for m, n in real.items()}, [base + timedelta(days=i) for i in range(7)])
    code, out, err = cli(ws, "anomaly", "--env", "prod", "--json")
    assert code == 1, out[-3000:] + err
    report = _json(out)
    assert report["conclusion"] == "failure"
    assert report["outputs"]["anomaly-count"] == str(len(MODELS))
    verdict = next(v for v in report["data"]["verdicts"] if v["model"] == WATCHED)
    n = real[WATCHED]
    assert verdict["status"] == "anomaly" and verdict["observed"] == n and verdict["history"] == 7
    assert verdict["expected_low"] <= 10 * n <= verdict["expected_high"]
    assert verdict["reason"].startswith(f"drop: {n:,} rows, expected ")
    assert any(a["message"].startswith(f"{WATCHED}: drop:") for a in report["annotations"])


def test_record_adds_the_live_counts_as_a_scheduled_recording(ws: Path) -> None:
    before = len(_counts(ws))
    code, out, err = cli(ws, "anomaly", "--env", "prod", "--record", env={"GITHUB_RUN_ID": "77"})
    assert code == 0, out[-3000:] + err  # the table stays at its new size: no second alarm
    rows = _counts(ws)
    assert len(rows) == before + len(MODELS)
    recorded = [r for r in rows if r["deploy_id"] == "gh-77-anomaly"]
    assert {r["source"] for r in recorded} == {"scheduled"} and {r["model"] for r in recorded} == MODELS


def test_a_deploy_summary_shows_the_delivery_numbers_with_a_chart(ws: Path, tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    code, out, err = cli(ws, "bluegreen-swap", "--env", "prod", "--deploy-id", "b", env=env)
    assert code == 0, out[-3000:] + err
    text = summary.read_text(encoding="utf-8")
    assert "### Delivery in prod, last 30 days (DORA)" in text
    assert "| deploys per day | 0.07 (2 in 30 d) |" in text
    assert "```mermaid\nxychart-beta\n" in text


def test_the_anomaly_gate_blocks_a_deploy_whose_counts_are_anomalous(ws: Path) -> None:
    code, out, err = cli(ws, "rollback", "--env", "prod", "--reason", "numbers look wrong")
    assert code == 0, out[-3000:] + err
    config = ws / "pipelineops.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "checks:\n  anomaly: true\nanomaly:\n  window: 5\n  min_history: 3\n",
        encoding="utf-8",
    )
    real = {str(r["model"]): int(r["row_count"]) for r in _counts(ws) if r["deploy_id"] == "b"}
    now = datetime.now(UTC)
    _plant(ws, {m: n * 3 for m, n in real.items()}, [now + timedelta(seconds=i) for i in range(5)])
    code, out, err = cli(ws, "bluegreen-swap", "--env", "prod", "--deploy-id", "c", "--json")
    assert code == 1, out[-3000:] + err
    report = _json(out)
    assert report["title"].startswith("Deploy stopped by a failing gate: nothing published")
    failures = report["failures"]  # what failed comes first: one entry per failing gate
    anomalous = {f["name"]: f["error"] for f in failures if f["kind"] == "anomaly gate"}
    assert set(anomalous) == MODELS, failures
    assert all(detail.startswith("drop: ") and "5 earlier counts" in detail for detail in anomalous.values())
    assert not [r for r in _counts(ws) if r["deploy_id"] == "c"]  # nothing published: nothing recorded


def test_status_since_reports_the_four_numbers_of_this_journal(ws: Path) -> None:
    code, out, err = cli(ws, "status", "--env", "prod", "--since", "30d", "--json")
    assert code == 0, out[-3000:] + err
    d = _json(out)["data"]["delivery"]
    assert d["deploys"] == 2  # a and b published; c was blocked
    assert (d["failures"], d["attempts"]) == (2, 3)  # b rolled back, c blocked
    assert d["change_failure_rate"] == pytest.approx(2 / 3)
    assert d["time_to_restore_hours"] is not None and 0 < d["time_to_restore_hours"] < 1
    assert d["lead_time_hours"] is not None and d["lead_time_hours"] >= 0
    code, out, _ = cli(ws, "status", "--env", "prod", "--since", "30d")
    assert "change failure rate" in out and "67% (2 of 3)" in out
    code, _, err = cli(ws, "status", "--env", "prod", "--since", "a month")
    assert code == 2 and "--since 'a month' is not a duration" in err


def test_the_audit_package_installs_offline_and_agrees_with_status(ws: Path) -> None:
    """packages/pipelineops_audit through a `local:` entry: `dbt deps` needs no network; its audit_dora
    view gives the numbers `status --since 30d` gives for the same journal."""
    import io
    import subprocess
    import sys

    from pipelineops.config import load_config
    from pipelineops.execute.runtime import Runtime
    from pipelineops.report.reporter import make_reporter

    package = REPO / "packages" / "pipelineops_audit"
    (ws / "dbt" / "packages.yml").write_text(f"packages:\n  - local: {package}\n", encoding="utf-8")
    deps = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "deps"],
        cwd=ws / "dbt",
        env={"PATH": "/usr/bin:/bin", "HOME": str(ws), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deps.returncode == 0, deps.stdout[-3000:] + deps.stderr[-2000:]
    rt = Runtime.open(
        config=load_config(ws / "pipelineops.yml"),
        env_name="prod",
        dry_run=False,
        reporter=make_reporter({}, io.StringIO()),
        environ={"PATH": "/usr/bin:/bin", "HOME": str(ws)},
        stage="audit",
    )
    try:
        build = rt.run_dbt("audit", ("build", "--select", "package:pipelineops_audit"))
        assert build.ok, "\n".join(build.output_tail[-30:])
    finally:
        rt.close()
    (ws / "dbt" / "packages.yml").unlink()
    (view,) = _query(ws, "SELECT schema_name FROM duckdb_views() WHERE view_name = 'audit_dora'")
    (row,) = _query(ws, f'SELECT * FROM lake."{view["schema_name"]}".audit_dora')
    assert row["environment"] == "prod"
    assert (row["deploys"], row["failures"], row["attempts"]) == (2, 2, 3)
    # b was rolled back right after its publish: seconds on the tiny project (a whole second may not pass)
    assert row["time_to_restore_hours"] is not None and 0 <= row["time_to_restore_hours"] < 1
    deploys = {
        r["deploy_id"]: r
        for r in _query(ws, f'SELECT * FROM lake."{view["schema_name"]}".audit_deploys ORDER BY deploy_id')
    }
    assert set(deploys) == {"a", "b", "c"}
    assert deploys["b"]["rolled_back"] and deploys["c"]["blocked"] and not deploys["a"]["is_failure"]
    restored = deploys["b"]["time_to_restore_seconds"]
    assert restored is not None and row["time_to_restore_hours"] == pytest.approx(restored / 3600.0)
    assert deploys["a"]["lead_time_seconds"] is not None and deploys["a"]["lead_time_seconds"] >= 0
