"""``pipelineops freshness`` on the local engine: the reference project's stale shipments feed is reported.

The tests share one workspace whose raw layer is loaded once with ``dbt seed`` (through the CLI's own dbt
runner). Nothing here writes to the warehouse except that seed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.workspace import REPO, cli, engine, make_workspace

from pipelineops.config import load_config
from pipelineops.execute.runtime import Runtime
from pipelineops.report.reporter import make_reporter

pytestmark = [pytest.mark.e2e]
SOURCES = {
    "crm.customers",
    "catalogue.products",
    "shop.orders",
    "shop.order_items",
    "payment_processor.payments",
    "carrier.shipments",
}


def _json_report(stdout: str) -> dict[str, Any]:
    start = stdout.rindex("\n{\n") + 1 if "\n{\n" in stdout else stdout.index("{")
    data: dict[str, Any] = json.loads(stdout[start:])
    return data


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("freshness"), REPO / "dbt")
    eng = engine(root)  # creates the local warehouse (catalog + data folder)
    eng.query("SELECT 1")
    eng.close()
    rt = Runtime.open(
        config=load_config(root / "pipelineops.yml"),
        env_name="prod",
        dry_run=False,
        reporter=make_reporter({}, io.StringIO()),
        environ={},
        stage="seed",
    )
    try:
        result = rt.run_dbt("seed", ("seed",))
    finally:
        rt.close()
    assert result.ok, "\n".join(result.output_tail[-20:])
    return root


def test_stale_shipments_warn_and_pass_at_the_default_fail_on(seeded: Path) -> None:
    code, out, err = cli(seeded, "freshness", "--env", "prod")
    assert code == 0, out[-3000:] + err
    assert "[SUCCESS]" in out
    assert "1 of 6 sources late; stalest: carrier.shipments at" in out
    assert "warning: source freshness: carrier.shipments: late: past warn_after (30 h)" in out
    assert "late-count    = 1" in out and "error-count   = 0" in out


def test_fail_on_warn_fails_on_the_same_stale_source(seeded: Path) -> None:
    code, out, err = cli(seeded, "freshness", "--env", "prod", "--fail-on", "warn", "--json")
    assert code == 1, out[-3000:] + err
    report = _json_report(out)
    assert report["conclusion"] == "failure"
    assert report["title"].endswith("(fails at --fail-on warn)")
    assert [a["level"] for a in report["annotations"]] == ["error"]
    assert report["annotations"][0]["message"].startswith("carrier.shipments: late: past warn_after (30 h)")
    (table,) = report["sections"][:1]
    assert table["headers"] == ["source", "status", "age (h)", "warn after", "error after", "SLA"]
    rows = {r[0]: r for r in table["rows"]}
    assert set(rows) == SOURCES
    assert rows["carrier.shipments"][1] == "warn" and 72 <= float(rows["carrier.shipments"][2]) < 96
    assert all(rows[s][1] == "pass" and float(rows[s][2]) < 24 for s in SOURCES - {"carrier.shipments"})
    assert report["outputs"]["late-count"] == "1"
    assert report["outputs"]["error-count"] == "0"
    assert 72 <= float(report["outputs"]["stalest-hours"]) < 96
    data = report["data"]
    assert data["fail_on"] == "warn" and data["select"] == []
    by_source = {s["source"]: s for s in data["sources"]}
    assert by_source["carrier.shipments"]["fails"] is True
    assert by_source["carrier.shipments"]["warn_after"] == {"count": 30, "period": "hour"}
    assert by_source["shop.orders"]["error_after"] == {"count": 120, "period": "hour"}
    assert {r["unique_id"] for r in data["results"]} == {f"source.pipelineops_demo.{s}" for s in SOURCES}


def test_select_passes_through_to_dbt(seeded: Path) -> None:
    code, out, err = cli(seeded, "freshness", "--env", "prod", "--select", "source:shop.orders", "--json")
    assert code == 0, out[-3000:] + err
    report = _json_report(out)
    assert [r[0] for r in report["sections"][0]["rows"]] == ["shop.orders"]
    assert report["facts"]["dbt command"] == (
        "dbt source freshness --select source:shop.orders --log-format-file json"
    )


def test_a_select_matching_no_source_is_a_user_error(seeded: Path) -> None:
    code, _, err = cli(seeded, "freshness", "--env", "prod", "--select", "source:nope.none")
    assert code == 2
    assert "matched no source with a freshness check" in err


def test_hostile_select_is_refused_before_dbt_runs(seeded: Path) -> None:
    run_dir = seeded / ".pipelineops" / "runs" / "prod" / "freshness"
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    code, out, err = cli(seeded, "freshness", "--env", "prod", "--select", "source:shop.orders; rm -rf /")
    assert code == 2
    assert "is not a plain dbt selector" in err
    assert "dbt source" not in out  # no dbt group was opened
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before


def test_dry_run_prints_the_dbt_command_and_runs_nothing(seeded: Path) -> None:
    sources_json = seeded / ".pipelineops" / "runs" / "prod" / "freshness" / "target" / "sources.json"
    mtime = sources_json.stat().st_mtime_ns
    code, out, err = cli(seeded, "freshness", "--env", "prod", "--dry-run", "--select", "source:shop+")
    assert code == 0, out + err
    assert "[SKIPPED]" in out
    assert "dbt source freshness --select source:shop+ --log-format-file json --project-dir" in out
    assert "--target local_prod" in out
    assert sources_json.stat().st_mtime_ns == mtime


def test_a_failed_freshness_query_fails_the_run(seeded: Path) -> None:
    """dbt leaves a failed query out of sources.json; the stage still reports it, from dbt's JSON log."""
    sources_yml = seeded / "dbt" / "models" / "staging" / "carrier" / "_carrier__sources.yml"
    original = sources_yml.read_text(encoding="utf-8")
    ghost = "      - name: ghost\n        identifier: raw_ghost\n      - name: shipments\n"
    sources_yml.write_text(original.replace("      - name: shipments\n", ghost), encoding="utf-8")
    try:
        code, out, err = cli(seeded, "freshness", "--env", "prod", "--json")
    finally:
        sources_yml.write_text(original, encoding="utf-8")
    assert code == 1, out[-3000:] + err
    report = _json_report(out)
    rows = {r[0]: r for r in report["sections"][0]["rows"]}
    assert rows["carrier.ghost"][1:5] == ["runtime error", "—", "30 h", "120 h"]
    assert "raw_ghost does not exist" in rows["carrier.ghost"][5]
    assert report["outputs"]["error-count"] == "1"
    assert "1 freshness query failed" in report["title"]
