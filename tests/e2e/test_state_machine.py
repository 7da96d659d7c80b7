"""The deploy state machine on the local engine, one scenario per hole it had (each reproduced from its
description first): rollback twice, the colour chosen before the lock, two environments on one
warehouse, a project without colour schemas, re-runs with the same id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, engine, killed_run, make_workspace, view_colours

from pipelineops.plan import history

pytestmark = [pytest.mark.e2e]
TINY = REPO / "tests" / "fixtures" / "dbt_tiny"
SHA = {"d1": "a" * 40, "d2": "b" * 40}
STATE = (
    'SELECT * FROM lake."PIPELINEOPS"."DEPLOY_STATE" ORDER BY coalesce(finished_at, started_at), started_at'
)


def _rows(root: Path) -> list[dict[str, object]]:
    eng = engine(root)
    try:
        return [dict(r) for r in eng.query(STATE)]
    finally:
        eng.close()


def _live(root: Path) -> tuple[str, str]:
    """(serving deploy id, colour the views read), after checking the journal and the views agree."""
    rows = _rows(root)
    serving = history.lineage(rows).serving
    live = history.live(rows)
    assert serving is not None and live is not None
    eng = engine(root)
    try:
        assert view_colours(eng) == {live.colour}
    finally:
        eng.close()
    return serving.deploy_id, live.colour


def _deploy(root: Path, deploy_id: str, *extra: str) -> tuple[int, str, str]:
    return cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id, *extra)


def _two_deploys(tmp: Path) -> Path:
    root = make_workspace(tmp, TINY)
    for deploy_id in ("d1", "d2"):
        code, out, err = _deploy(root, deploy_id, "--git-sha", SHA[deploy_id])
        assert code == 0, out + err
    return root


def test_rollback_twice_never_reships_the_deploy_the_first_one_removed(tmp_path: Path) -> None:
    root = _two_deploys(tmp_path)
    _a_rerun_of_a_finished_deploy_reports_it_done_and_changes_nothing(root)
    _a_rollback_id_names_one_rollback(root)
    assert _live(root)[0] == "d2"
    code, out, err = cli(root, "rollback", "--env", "prod", "--reason", "a")
    assert code == 0, out + err
    assert _live(root)[0] == "d1"
    code, out, err = cli(root, "rollback", "--env", "prod", "--reason", "b")
    assert code == 1, out + err
    assert "nothing earlier that is good" in err and "d2 (by rollback-" in err
    assert _live(root)[0] == "d1"
    # asking for it by name is refused too: the first press removed it
    code, out, err = cli(root, "rollback", "--env", "prod", "--reason", "c", "--to", "d2")
    assert code == 1 and "was rolled back by" in err
    assert _live(root)[0] == "d1"
    _a_rolled_back_sha_is_not_deployed_again_unless_forced(root)


def test_a_killed_rollback_is_finished_by_its_rerun_and_a_forced_new_one_goes_no_further(
    tmp_path: Path,
) -> None:
    root = _two_deploys(tmp_path)
    args = ("rollback", "--env", "prod", "--reason", "bad d2", "--rollback-id", "r1")
    assert killed_run(root, *args, boundary="cutover:succeeded") == -signal.SIGKILL
    assert _live(root)[0] == "d1"  # published; verify, smoke and finish were not; r1 holds the lock
    other = ("rollback", "--env", "prod", "--reason", "x", "--rollback-id", "r2")
    code, _, err = cli(root, *other)
    assert code == 2 and "held by deploy r1" in err
    # recovering "the way the runbook says" with a new id and --force-unlock goes no further back
    code, _, err = cli(root, *other, "--force-unlock")
    assert code == 1 and "nothing earlier that is good" in err
    assert _live(root)[0] == "d1"
    code, out, err = cli(root, *args)  # the killed rollback's own re-run finishes it
    assert code == 0, out + err
    mine = [r for r in _rows(root) if r["deploy_id"] == "r1"]
    assert (mine[-1]["step"], mine[-1]["status"]) == ("finish", "succeeded")
    assert [r["step"] for r in mine].count("cutover") == 2  # started, succeeded: not published twice
    code, out, err = cli(root, *args)  # the same id again: reported done, nothing changes
    assert code == 0 and "already finished" in out
    assert _live(root)[0] == "d1"


def _a_rollback_id_names_one_rollback(root: Path) -> None:
    before = len(_rows(root))
    code, _, err = cli(root, "rollback", "--env", "prod", "--reason", "x", "--rollback-id", "d1")
    assert code == 2 and "already the id of a deploy" in err
    code, _out, err = cli(root, "rollback", "--env", "prod", "--reason", "x", "--rollback-id", "bad id")
    assert code == 2 and "not a valid operation id" in err
    assert len(_rows(root)) == before  # refused before the lock: nothing journalled under d1
    assert _live(root)[0] == "d2"


def _a_rolled_back_sha_is_not_deployed_again_unless_forced(root: Path) -> None:
    sha = next(r["git_sha"] for r in _rows(root) if r["deploy_id"] == "d2")
    code, out, err = _deploy(root, "d3", "--git-sha", str(sha))
    assert code == 2 and "was rolled back" in err and "ship a fix" in err
    assert _live(root)[0] == "d1"
    code, out, err = _deploy(root, "d3", "--git-sha", str(sha), "--allow-rolled-back")
    assert code == 0, out + err
    assert _live(root)[0] == "d3"


def _a_rerun_of_a_finished_deploy_reports_it_done_and_changes_nothing(root: Path) -> None:
    before = len(_rows(root))
    code, out, err = _deploy(root, "d1", "--git-sha", SHA["d1"])
    assert code == 0 and "already finished" in out
    assert _live(root)[0] == "d2"  # d1 was not re-published, nothing was rebuilt
    assert len(_rows(root)) == before
    code, out, err = _deploy(root, "d2", "--git-sha", "f" * 40)
    assert code == 2 and "not ffffffffffff" in err


def test_a_deploy_chooses_its_colour_under_the_lock(tmp_path: Path) -> None:
    """B pauses right before taking the lock; A deploys meanwhile; B then builds the colour A left idle."""
    root = make_workspace(tmp_path, TINY)
    assert _deploy(root, "base")[0] == 0
    _, live = _live(root)
    go = tmp_path / "go"
    env = {**os.environ, "PIPELINEOPS_CHAOS_PAUSE": f"before-lock:@{go}", "USER": "b"}
    b = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelineops.cli",
            "bluegreen-swap",
            "--env",
            "prod",
            "--deploy-id",
            "B",
            "--config",
            str(root / "pipelineops.yml"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(b.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        for _ in range(1200):  # B is paused once it says so (preflight parse done, warehouse released)
            if any("chaos: pausing" in line for line in lines) or b.poll() is not None:
                break
            time.sleep(0.1)
        assert any("chaos: pausing" in line for line in lines), "".join(lines)
        code, out, err = _deploy(root, "A")
        assert code == 0, out + err
        _, after_a = _live(root)
        assert after_a != live
        go.touch()
        b.wait(timeout=600)
    finally:
        if b.poll() is None:
            b.kill()
    reader.join(timeout=10)
    out_b, err_b = b.stdout.read() if b.stdout else "", "".join(lines)  # type: ignore[union-attr]
    assert b.returncode == 0, out_b + err_b
    rows = _rows(root)
    build_b = next(r for r in rows if r["deploy_id"] == "B" and r["step"] == "build")
    assert build_b["colour_to"] == live  # not after_a, the colour A had just published
    serving, colour = _live(root)
    assert (serving, colour) == ("B", live)


def test_two_deploy_environments_on_one_warehouse_are_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    code, _, err = cli(root, "bluegreen-swap", "--env", "dev", "--deploy-id", "x")
    assert code == 2 and "pull-request environment" in err and "--env prod" in err
    code, _, err = cli(root, "rollback", "--env", "dev", "--reason", "x")
    assert code == 2 and "pull-request environment" in err
    config = root / "pipelineops.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "  staging:\n    engine: duckdb\n    dbt_target: local_staging\n    local_dir: warehouse\n",
        encoding="utf-8",
    )
    code, _, err = cli(root, "bluegreen-swap", "--env", "staging", "--deploy-id", "x")
    assert code == 2 and "share the local warehouse" in err
    code, _out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "x")
    assert code == 2 and "share the local warehouse" in err
    assert not (root / "warehouse").exists()  # refused before anything was created


OWN_MACRO = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | upper }}
{%- endmacro %}
"""


def test_a_project_without_colour_schemas_is_refused_before_anything_changes(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    (root / "dbt" / "macros" / "generate_schema_name.sql").write_text(OWN_MACRO, encoding="utf-8")
    code, out, err = _deploy(root, "d1")
    assert code == 2, out + err
    assert "no model in a colour schema" in err and "pipelineops_colour" in err
    assert "runbooks/configuration.md" in err
    eng = engine(root)
    try:  # nothing was written: no journal, no schema
        schemas = {
            str(r["name"]).upper()
            for r in eng.query(
                "SELECT schema_name AS name FROM information_schema.schemata WHERE catalog_name = 'lake'"
            )
        }
        assert not schemas & {"PIPELINEOPS", "MARTS", "MARTS__BLUE"}
    finally:
        eng.close()


def test_consumer_schemas_that_match_no_model_are_refused(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY, schemas="STAGING, MARTZ")
    code, out, err = _deploy(root, "d1")
    assert code == 2, out + err
    assert "nothing to publish" in err and "[MARTS]" in err
