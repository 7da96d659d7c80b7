"""``pipelineops anomaly`` on the real local engine, without dbt: a journal and consumer tables made by hand.

The dry run prints the SQL and changes nothing; a warehouse without a journal says nothing is recorded yet;
``--record`` counts the consumer views that exist (a dropped one is left out) and a planted drop fails."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipelineops.cli import main
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.journal import Journal

CONFIG = """\
version: 1
layout:
  consumer_schemas: [MARTS]
environments:
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: warehouse
anomaly:
  min_history: 3
"""


def _cli(root: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["anomaly", "--env", "prod", "--json", *args, "--config", str(root / "pipelineops.yml")],
        environ={"PATH": "/usr/bin:/bin", "HOME": str(root)},
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    data = (
        json.loads(text[text.rindex("\n{\n") + 1 :]) if "\n{\n" in text else json.loads(text) if text else {}
    )
    return code, data, err.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pipelineops.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def test_a_warehouse_without_counts_is_neutral_and_the_dry_run_prints_the_sql(root: Path) -> None:
    code, report, err = _cli(root, "--dry-run", "--record")
    assert code == 0, err
    assert report["conclusion"] == "skipped"
    assert report["data"]["sql"].startswith("SELECT deploy_id, model, row_count, recorded_at, source FROM")
    assert "-- then record the row count of each consumer view" in report["data"]["sql"]
    engine = LocalEngine(root / "warehouse")
    engine.execute('CREATE SCHEMA IF NOT EXISTS "lake"."MARTS"')
    engine.close()
    code, report, err = _cli(root)
    assert code == 0, err
    assert report["conclusion"] == "neutral" and report["title"].startswith("prod: no row count recorded yet")


def test_record_counts_the_views_that_exist_and_a_drop_fails(root: Path) -> None:
    engine = LocalEngine(root / "warehouse")
    try:
        engine.execute('CREATE SCHEMA "lake"."MARTS"')
        engine.execute('CREATE TABLE "lake"."MARTS"."orders" AS SELECT range AS id FROM range(10)')
        now = datetime.now(UTC)
        journal = Journal(engine, "PIPELINEOPS", "prod", clock=lambda: now)
        journal.migrate()
        for i, n in enumerate((1000, 1010, 1020, 1030)):
            journal.clock = lambda i=i: now - timedelta(days=10 - i)  # type: ignore[misc]
            journal.record_row_counts(
                f"d{i}", {"marts.orders": n, "marts.gone": 50, "other.x": 5}, source="deploy"
            )
    finally:
        engine.close()
    code, report, err = _cli(root, "--record")
    assert code == 1, err
    verdicts = {v["model"]: v for v in report["data"]["verdicts"]}
    assert verdicts["marts.orders"]["status"] == "anomaly" and verdicts["marts.orders"]["observed"] == 10
    assert verdicts["marts.orders"]["reason"].startswith(
        "drop: 10 rows, expected 1,003..1,076 (previous 1,030"
    )
    assert verdicts["marts.gone"]["observed"] == 50  # no such view now: not recorded, its last count stays
    assert verdicts["other.x"]["observed"] == 5  # no such schema now
    assert report["outputs"] == {"anomaly-count": "1", "not-judged-count": "0"}
    assert [a["message"][:20] for a in report["annotations"]] == ["marts.orders: drop: "]
