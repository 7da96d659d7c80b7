from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from github import Github
from pytest_httpserver import HTTPServer

from pipelineops.errors import UserError
from pipelineops.github.checks import CHECK_TEXT_LIMIT, complete_check_run

REPO = "acme/dw"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def test_check_run_goes_on_the_head_sha_with_the_conclusion(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(f"/repos/{REPO}/check-runs", method="POST").respond_with_json(
        github_fixture("check_run.json"), status=201
    )
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    run_id = complete_check_run(
        gh,
        REPO,
        name="pipelineops / slim-ci",
        head_sha=HEAD,
        conclusion="success",
        title="Slim CI passed",
        summary="ok",
        details_url="https://github.com/acme/dw/actions/runs/7",
    )
    assert run_id == 4
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent == {
        "name": "pipelineops / slim-ci",
        "head_sha": HEAD,
        "status": "completed",
        "conclusion": "success",
        "output": {"title": "Slim CI passed", "summary": "ok"},
        "details_url": "https://github.com/acme/dw/actions/runs/7",
    }


def test_long_summary_is_clipped_below_the_limit(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(f"/repos/{REPO}/check-runs", method="POST").respond_with_json(
        github_fixture("check_run.json"), status=201
    )
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    complete_check_run(
        gh, REPO, name="n", head_sha=HEAD, conclusion="failure", title="t", summary="é" * 40_000
    )
    sent = json.loads(httpserver.log[0][0].get_data())
    summary = sent["output"]["summary"]
    assert len(summary.encode("utf-8")) <= CHECK_TEXT_LIMIT and summary.endswith(
        "see the run for the full output._"
    )
    assert "details_url" not in sent


def test_missing_checks_permission_is_a_user_error(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(f"/repos/{REPO}/check-runs", method="POST").respond_with_json(
        github_fixture("forbidden.json"), status=403
    )
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    with pytest.raises(UserError) as caught:
        complete_check_run(gh, REPO, name="n", head_sha=HEAD, conclusion="neutral", title="t", summary="s")
    assert caught.value.fix == "permissions:\n  checks: write"
