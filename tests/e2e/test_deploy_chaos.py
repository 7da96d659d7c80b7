"""Chaos: SIGKILL the deploy right after every journal boundary, re-run it, and check it converges.

Converged means: production views all read one colour, that colour is the one the journal says is live,
no step of the killed deploy is left open, the lock is free, and the deploy finished.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from tests.e2e.workspace import REPO, cli, engine, killed_run, make_workspace, view_colours

from pipelineops.plan import history

pytestmark = [pytest.mark.e2e]
TINY = REPO / "tests" / "fixtures" / "dbt_tiny"
BOUNDARIES = (
    "prepare:started",
    "prepare:succeeded",
    "build:started",
    "build:succeeded",
    "checks:started",
    "checks:succeeded",
    "cutover:succeeded",
    "smoke:succeeded",
    "publish-manifest:succeeded",
    "finish:succeeded",
)


def _killed_deploy(root: Path, deploy_id: str, boundary: str) -> int:
    return killed_run(
        root, "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id, boundary=boundary, timeout=300
    )


def _assert_converged(root: Path, deploy_id: str) -> None:
    eng = engine(root)
    try:
        rows = eng.query(
            'SELECT * FROM lake."PIPELINEOPS"."DEPLOY_STATE" ORDER BY coalesce(finished_at, started_at), started_at'
        )
        live = history.live(rows)
        assert live is not None
        assert view_colours(eng) == {live.colour}, (
            "production reads a colour the journal does not say is live"
        )
        assert history.unfinished_steps(rows, deploy_id) == []
        assert eng.query('SELECT deploy_id FROM lake."PIPELINEOPS"."DEPLOY_LOCK"')[0]["deploy_id"] is None
        mine = [r for r in rows if r["deploy_id"] == deploy_id]
        assert (mine[-1]["step"], mine[-1]["status"]) == ("finish", "succeeded")
        assert live.deploy_id == deploy_id
        squares = eng.query('SELECT count(*) AS n FROM lake."MARTS"."squares"')
        assert squares[0]["n"] == 3
    finally:
        eng.close()


@pytest.mark.parametrize("group", [BOUNDARIES[:5], BOUNDARIES[5:]], ids=["before-cutover", "from-cutover"])
def test_killed_deploy_converges_on_rerun_from_every_boundary(tmp_path: Path, group: tuple[str, ...]) -> None:
    root = make_workspace(tmp_path, TINY)
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "base")
    assert code == 0, out + err
    for i, boundary in enumerate(group):
        deploy_id = f"chaos-{i}"
        assert _killed_deploy(root, deploy_id, boundary) == -signal.SIGKILL, boundary
        code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id)
        assert code == 0, f"{boundary}: {out}{err}"
        _assert_converged(root, deploy_id)


def test_a_second_deploy_is_refused_while_the_lock_is_held_then_force_unlocked(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, TINY)
    assert cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "base")[0] == 0
    assert _killed_deploy(root, "dead", "build:succeeded") == -signal.SIGKILL
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "other")
    assert code == 2, out + err
    assert "held by deploy dead" in err and "--force-unlock" in err
    code, out, err = cli(root, "status", "--env", "prod")
    # status advises finishing the holder's own deploy, which starts nothing new
    assert code == 0 and "HELD" in out and "--deploy-id dead" in out and "--force-unlock" not in out
    code, out, err = cli(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "other", "--force-unlock")
    assert code == 0, out + err
    eng = engine(root)
    try:
        rows = eng.query('SELECT detail FROM lake."PIPELINEOPS"."DEPLOY_STATE" WHERE step = \'force-unlock\'')
        assert rows and "dead" in str(rows[0]["detail"])
    finally:
        eng.close()
