"""Deploy ids and --vars: what a deploy derives from its inputs before it touches anything."""

from __future__ import annotations

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
