"""Rollback on the local engine: re-publish the previous deploy, refuse a rebuilt colour, time travel.

The tests share one workspace and run in file order (make test distributes whole files): each starts
from the state the previous one left.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, engine, make_workspace, view_colours

pytestmark = [pytest.mark.e2e]
SEGMENTS = 'SELECT customer_segment, count(*) AS n FROM lake."MARTS"."dim_customers" GROUP BY 1 ORDER BY 1'
THRESHOLD = "when lifetime_value >= 1000 then 'vip'"


def _segments(root: Path) -> list[tuple[str, int]]:
    eng = engine(root)
    try:
        return [(str(r["customer_segment"]), int(str(r["n"]))) for r in eng.query(SEGMENTS)]
    finally:
        eng.close()


@pytest.fixture(scope="module")
def two_deploys(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[tuple[str, int]], list[tuple[str, int]]]:
    root = make_workspace(tmp_path_factory.mktemp("rollback"), REPO / "dbt")
    assert cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "a")[0] == 0
    seg_a = _segments(root)
    model = root / "dbt" / "models" / "marts" / "dim_customers.sql"
    original = model.read_text()
    assert THRESHOLD in original
    model.write_text(original.replace(THRESHOLD, "when lifetime_value >= 200 then 'vip'"))
    try:
        code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "b")
        assert code == 0, out + err
    finally:
        model.write_text(original)
    seg_b = _segments(root)
    assert seg_a != seg_b
    return root, seg_a, seg_b


def test_rollback_needs_a_reason_in_prod(two_deploys: tuple[Path, list, list]) -> None:
    root, _, seg_b = two_deploys
    code, _, err = cli(root, "rollback", "--env", "prod")
    assert code == 2 and "--reason" in err
    assert _segments(root) == seg_b


def test_rollback_serves_the_previous_deploys_data_and_is_journalled(
    two_deploys: tuple[Path, list, list],
) -> None:
    root, seg_a, _ = two_deploys
    code, out, err = cli(
        root, "rollback", "--env", "prod", "--reason", "vip threshold wrong", env={"GITHUB_ACTOR": "oncall"}
    )
    assert code == 0, out + err
    assert "Rolled back prod to BLUE (deploy a)" in out
    assert "cutover-ms" in out
    assert _segments(root) == seg_a
    eng = engine(root)
    try:
        assert view_colours(eng) == {"BLUE"}
        rows = eng.query(
            "SELECT step, status, actor, reason, colour_from, colour_to, elapsed_ms FROM "
            'lake."PIPELINEOPS"."DEPLOY_STATE" WHERE kind = \'rollback\''
        )
        cut = [r for r in rows if r["step"] == "cutover" and r["status"] == "succeeded"]
        assert len(cut) == 1
        assert [r["status"] for r in rows if r["step"] == "cutover"] == ["started", "succeeded"]
        assert (cut[0]["actor"], cut[0]["reason"], cut[0]["colour_from"], cut[0]["colour_to"]) == (
            "oncall",
            "vip threshold wrong",
            "GREEN",
            "BLUE",
        )
        assert cut[0]["elapsed_ms"] is not None
    finally:
        eng.close()
    code, out, _ = cli(root, "status", "--env", "prod")
    assert "BLUE is live" in out


def test_rollback_to_a_rebuilt_colour_is_refused_with_the_time_travel_route(
    two_deploys: tuple[Path, list, list],
) -> None:
    root, _, _ = two_deploys
    assert cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "c")[0] == 0  # rebuilds GREEN (b's)
    code, out, err = cli(root, "rollback", "--env", "prod", "--to", "b", "--reason", "r")
    assert code == 1, out + err
    assert "deploy b was rolled back by rollback-" in err  # the first test's rollback removed it
    assert cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d")[0] == 0  # rebuilds BLUE (a's)
    code, out, err = cli(root, "rollback", "--env", "prod", "--to", "a", "--reason", "r")
    assert code == 1, out + err
    assert "rebuilt since by deploy d" in err
    assert "--mode time-travel" in err


def test_time_travel_restores_the_exact_rows_before_a_bad_append(
    two_deploys: tuple[Path, list, list],
) -> None:
    root, _, _ = two_deploys
    eng = engine(root)
    try:
        (live,) = view_colours(eng)
        table = f'lake."MARTS__{live}"."fct_orders"'
        before = eng.query(f"SELECT * FROM {table} ORDER BY order_id")
        version = eng.snapshot_version()
        eng.execute(f"INSERT INTO {table} SELECT * FROM {table} WHERE order_id % 7 = 0")  # the bad append
        assert len(eng.query(f"SELECT * FROM {table}")) > len(before)
    finally:
        eng.close()
    code, out, err = cli(
        root,
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--to-version",
        str(version),
        "--dry-run",
    )
    assert code == 0, out + err
    assert "AT (VERSION =>" in out and "DELETE FROM" in out
    code, out, err = cli(
        root,
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--to-version",
        str(version),
        "--reason",
        "bad append",
    )
    assert code == 0, out + err
    eng = engine(root)
    try:
        after = eng.query(f"SELECT * FROM {table} ORDER BY order_id")
        assert after == before
        aside = [
            r
            for r in eng.query(
                f"SELECT table_name FROM information_schema.tables WHERE table_schema = 'MARTS__{live}'"
            )
            if "REPLACED" in str(r["table_name"])
        ]
        assert aside, "the replaced rows must be kept aside"
        assert eng.query('SELECT count(*) AS n FROM lake."MARTS"."fct_orders"')[0]["n"] == len(before)
    finally:
        eng.close()


def test_time_travel_refuses_an_unknown_model_and_a_future_point(
    two_deploys: tuple[Path, list, list],
) -> None:
    root, _, _ = two_deploys
    code, _, err = cli(
        root,
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "nope",
        "--to-version",
        "1",
        "--reason",
        "r",
    )
    assert code == 2 and "not a table of the live colour" in err
    code, _, err = cli(
        root,
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders; drop",
        "--to-version",
        "1",
        "--reason",
        "r",
    )
    assert code == 2 and "not a plain identifier" in err
    code, _, err = cli(
        root,
        "rollback",
        "--env",
        "prod",
        "--mode",
        "time-travel",
        "--model",
        "fct_orders",
        "--offset",
        "5",
        "--reason",
        "r",
    )
    assert code == 2 and "must be negative" in err


def test_set_aside_tables_are_kept_until_confirmed(two_deploys: tuple[Path, list, list]) -> None:
    root, _, _ = two_deploys
    eng = engine(root)
    try:
        names = [
            str(r["table_name"])
            for r in eng.query(
                "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%__REPLACED_%'"
            )
        ]
    finally:
        eng.close()
    assert names, "the time-travel test leaves the replaced rows aside"
    restore_id = names[0].rsplit("_", 1)[-1]
    code, out, err = cli(root, "rollback", "--env", "prod", "--mode", "purge-aside", "--reason", "tidy")
    assert code == 0 and "No set-aside table is due" in out, out + err
    code, out, err = cli(
        root, "rollback", "--env", "prod", "--mode", "purge-aside", "--to", "20000101T000000", "--reason", "x"
    )
    assert code == 2 and "no tables set aside by restore" in err
    code, out, err = cli(
        root, "rollback", "--env", "prod", "--mode", "purge-aside", "--to", restore_id, "--dry-run"
    )
    assert code == 0 and "DROP TABLE IF EXISTS" in out and restore_id in out
    code, out, err = cli(
        root, "rollback", "--env", "prod", "--mode", "purge-aside", "--to", restore_id, "--reason", "checked"
    )
    assert code == 0 and "Dropped" in out, out + err
    eng = engine(root)
    try:
        left = eng.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%{restore_id}'"
        )
        assert left == []
        audit = eng.query('SELECT detail FROM lake."PIPELINEOPS"."DEPLOY_STATE" WHERE step = \'purge-aside\'')
        assert audit and "confirmed" in str(audit[0]["detail"])
    finally:
        eng.close()
