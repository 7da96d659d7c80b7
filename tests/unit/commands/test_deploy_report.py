"""Deploy ids and --vars: what a deploy derives from its inputs before it touches anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelineops.commands.deploy_report import default_deploy_id, parse_vars
from pipelineops.errors import UserError


def test_deploy_id_in_github_actions_is_the_run_so_a_rerun_attempt_resumes_it() -> None:
    env = {"GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2"}
    assert default_deploy_id(env, "20261125T101010", "abcdef1234") == "gh-4242"
    assert default_deploy_id({}, "20261125T101010", "abcdef1234") == "20261125T101010-abcdef1"


def test_vars_are_a_mapping_and_may_not_choose_the_colour() -> None:
    assert parse_vars("") == {}
    assert parse_vars("{lookback: 3}") == {"lookback": 3}
    for bad, text in (
        ("[1, 2]", "must be a mapping"),
        ("{a: [", "not valid YAML"),
        ("{pipelineops_colour: BLUE}", "may not set"),
    ):
        with pytest.raises(UserError, match=text):
            parse_vars(bad)


def test_project_prefix_is_the_dbt_folder_in_the_repository(tmp_path: Path) -> None:
    from pipelineops.commands.deploy_report import project_prefix

    assert project_prefix(tmp_path, tmp_path / "dbt") == "dbt"
    assert project_prefix(tmp_path, tmp_path) == ""
    assert project_prefix(tmp_path / "a", tmp_path / "b") == ""


def test_a_failed_step_without_a_gate_is_what_failed() -> None:
    from pipelineops.commands.deploy_report import deploy_report
    from pipelineops.execute.deploy import DeployResult

    result = DeployResult(
        "bluegreen-swap",
        "prod",
        "d-1",
        "a" * 40,
        None,
        "BLUE",
        "failure",
        "Deploy stopped: dbt seed failed in step seed; nothing published, nothing stays live",
        steps=(("seed", "failed", 1.0),),
    )
    report = deploy_report(result, 1.0, rows=[], environ={})
    assert [(f.name, f.kind) for f in report.failures] == [("seed", "step")]
    assert report.advice[0].text == "Nothing was published: prod has no live build yet."
    assert report.source_url is None and report.run_url is None
    bare = deploy_report(result.__class__(**{**result.__dict__, "steps": ()}), 1.0)
    assert [f.name for f in bare.failures] == ["bluegreen-swap"]
