"""Backfill of the reference project's microbatch model on the local engine (real dbt and DuckLake).

The live colour loses January of ``fct_daily_revenue``; a backfill over January and February (two
monthly batches) is killed right after its first batch, re-run with the same deploy id, and must finish
without re-running that batch — and publish a colour whose January is back.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, engine, killed_run, make_workspace, view_colours

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("backfill")]
RANGE = ("--model", "fct_daily_revenue", "--start", "2025-01-01", "--end", "2025-03-01")
JANUARY = "revenue_date >= DATE '2025-01-01' AND revenue_date < DATE '2025-02-01'"
JAN, FEB = "2025-01-01 → 2025-02-01", "2025-02-01 → 2025-03-01"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("backfill"), REPO / "dbt")
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
    assert code == 0, out + err
    return root


def _journal(root: Path, deploy_id: str) -> list[dict[str, object]]:
    eng = engine(root)
    try:
        return [
            dict(r)
            for r in eng.query(
                'SELECT step, status, detail FROM lake."PIPELINEOPS"."DEPLOY_STATE" '
                f"WHERE deploy_id = '{deploy_id}' ORDER BY coalesce(finished_at, started_at), started_at"
            )
        ]
    finally:
        eng.close()


def _count(root: Path, relation: str, where: str = "TRUE") -> int:
    eng = engine(root)
    try:
        return int(str(eng.query(f"SELECT count(*) AS n FROM {relation} WHERE {where}")[0]["n"]))
    finally:
        eng.close()


def _state_rows(root: Path) -> int:
    return _count(root, 'lake."PIPELINEOPS"."DEPLOY_STATE"')


def test_bad_input_is_refused_before_the_warehouse_is_touched(deployed: Path) -> None:
    before = _state_rows(deployed)
    code, out, err = cli(
        deployed, "backfill", "--env", "prod", *RANGE[:2], "--start", "2025-03-01", "--end", "2025-01-01"
    )
    assert code == 2, out + err
    assert "--start 2025-03-01 is not before --end 2025-01-01" in err
    code, out, err = cli(deployed, "backfill", "--env", "prod", *RANGE, "--batch-size", "1d")
    assert code == 2, out + err
    assert "--batch-size 1d is finer than fct_daily_revenue's batch_size month" in err
    code, out, err = cli(deployed, "backfill", "--env", "prod", "--model", "fct_orders", *RANGE[2:])
    assert code == 2, out + err
    assert "fct_orders cannot be backfilled by date range" in err
    assert "models that qualify: fct_daily_revenue" in err
    assert _state_rows(deployed) == before  # nothing journalled, no lock taken


def test_dry_run_prints_every_batch_command_and_changes_nothing(deployed: Path) -> None:
    before = _state_rows(deployed)
    code, out, err = cli(deployed, "backfill", "--env", "prod", *RANGE, "--dry-run")
    assert code == 0, out + err
    vars_json = '{"pipelineops_colour":"GREEN"}'
    for start, end in (("2025-01-01", "2025-02-01"), ("2025-02-01", "2025-03-01")):
        command = f"dbt run --select fct_daily_revenue --vars {vars_json} --event-time-start {start} --event-time-end {end}"
        assert command in out
    assert "batches: 2 of 1mo" in out  # the plan facts
    assert "dbt build --vars" in out and "dbt test --select fct_daily_revenue" in out
    assert _state_rows(deployed) == before


def _killed_backfill(root: Path, deploy_id: str, boundary: str) -> int:
    return killed_run(root, "backfill", "--env", "prod", *RANGE, "--deploy-id", deploy_id, boundary=boundary)


def test_killed_backfill_resumes_without_rerunning_finished_batches(deployed: Path) -> None:
    january = _count(deployed, 'lake."MARTS__BLUE"."fct_daily_revenue"', JANUARY)
    assert january > 0
    eng = engine(deployed)
    try:  # the live colour loses January: only the backfill can bring it back
        eng.execute(f'DELETE FROM lake."MARTS__BLUE"."fct_daily_revenue" WHERE {JANUARY}')
    finally:
        eng.close()
    assert _count(deployed, 'lake."MARTS"."fct_daily_revenue"', JANUARY) == 0

    assert _killed_backfill(deployed, "b1", "backfill-batch:succeeded") == -signal.SIGKILL
    killed = [(r["step"], r["status"], r["detail"]) for r in _journal(deployed, "b1")]
    assert ("backfill-batch", "succeeded", JAN) in killed
    assert not any(step == "cutover" for step, _, _ in killed)
    eng = engine(deployed)
    try:
        assert view_colours(eng) == {"BLUE"}  # nothing published by the killed run
    finally:
        eng.close()

    code, out, err = cli(deployed, "backfill", "--env", "prod", *RANGE, "--deploy-id", "b1")
    assert code == 0, out + err
    assert f"batch 1/2 {JAN} … done by an earlier run of b1: skipped" in out
    assert f"batch 2/2 {FEB} … ok in " in out
    assert f"batch 1/2 {JAN} … ok" not in out  # the finished batch did not run again

    rows = _journal(deployed, "b1")
    done = [r["detail"] for r in rows if r["step"] == "backfill-batch" and r["status"] == "succeeded"]
    assert done == [JAN, FEB]  # each batch succeeded exactly once, in order
    for step in ("prepare", "build"):  # not re-run either: they would undo the finished batch
        assert sum(1 for r in rows if r["step"] == step and r["status"] == "succeeded") == 1, step
    assert ("verify-grants", "skipped", "the local engine has no grants") in [
        (r["step"], r["status"], r["detail"]) for r in rows
    ]
    assert (rows[-1]["step"], rows[-1]["status"]) == ("finish", "succeeded")

    eng = engine(deployed)
    try:
        assert view_colours(eng) == {"GREEN"}
        lock = eng.query('SELECT deploy_id FROM lake."PIPELINEOPS"."DEPLOY_LOCK"')
        assert lock[0]["deploy_id"] is None
    finally:
        eng.close()
    assert _count(deployed, 'lake."MARTS"."fct_daily_revenue"', JANUARY) == january
