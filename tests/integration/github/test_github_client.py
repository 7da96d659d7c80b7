from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from github import Auth, Github
from pytest_httpserver import HTTPServer

from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.github.client import make_client, make_retry
from pipelineops.github.pulls import pull_states

REPO = "acme/dw"
PULL = f"/repos/{REPO}/pulls/42"


def _requests_to(httpserver: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == path)


def test_502_is_retried_then_succeeds(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_ordered_request(PULL).respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request(PULL).respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request(PULL).respond_with_json(github_fixture("pull_open.json"))
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    assert pull_states(gh, REPO, [42]) == {42: "open"}
    assert _requests_to(httpserver, PULL) == 3
    httpserver.check_assertions()


def test_persistent_5xx_gives_up_after_the_configured_retries(
    httpserver: HTTPServer, client_for: Callable[..., Github]
) -> None:
    httpserver.expect_request(PULL).respond_with_json({"message": "Server Error"}, status=503)
    gh = client_for(httpserver.url_for("/").rstrip("/"), retries=2)
    with pytest.raises(PipelineOpsError) as caught:
        pull_states(gh, REPO, [42])
    assert not isinstance(caught.value, UserError)
    assert caught.value.what == "Reading acme/dw#42 failed: GitHub answered 503 Server Error"
    assert _requests_to(httpserver, PULL) == 3


def test_secondary_rate_limit_with_retry_after_is_retried(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_ordered_request(PULL).respond_with_json(
        github_fixture("secondary_rate_limit.json"), status=403, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request(PULL).respond_with_json(github_fixture("pull_open.json"))
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    assert pull_states(gh, REPO, [42]) == {42: "open"}
    assert _requests_to(httpserver, PULL) == 2


def test_secondary_rate_limit_message_alone_is_retried(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_ordered_request(PULL).respond_with_json(
        github_fixture("secondary_rate_limit.json"), status=403
    )
    httpserver.expect_ordered_request(PULL).respond_with_json(github_fixture("pull_open.json"))
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    started = time.monotonic()
    assert pull_states(gh, REPO, [42]) == {42: "open"}
    assert time.monotonic() - started < 5
    assert _requests_to(httpserver, PULL) == 2


def test_plain_403_is_not_retried_and_names_the_permission(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(PULL).respond_with_json(github_fixture("forbidden.json"), status=403)
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    with pytest.raises(UserError) as caught:
        pull_states(gh, REPO, [42])
    assert caught.value.fix == "permissions:\n  pull-requests: read"
    assert _requests_to(httpserver, PULL) == 1


def test_ghe_base_url_prefix_is_used_for_every_request(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(f"/api/v3{PULL}").respond_with_json(github_fixture("pull_open.json"))
    gh = client_for(httpserver.url_for("/api/v3/"))
    assert pull_states(gh, REPO, [42]) == {42: "open"}
    assert [request.path for request, _ in httpserver.log] == [f"/api/v3{PULL}"]


def test_token_goes_in_the_authorization_header_only(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(PULL, headers={"Authorization": "token ghs_test_token"}).respond_with_json(
        github_fixture("pull_open.json")
    )
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    assert pull_states(gh, REPO, [42]) == {42: "open"}
    request = httpserver.log[0][0]
    assert "ghs_test_token" not in request.url


def test_empty_token_is_a_user_error_with_the_fix() -> None:
    with pytest.raises(UserError) as caught:
        make_client(token="  ")
    assert "GITHUB_TOKEN: ${{ github.token }}" in caught.value.fix


def test_make_retry_is_configurable_and_retries_idempotent_writes() -> None:
    retry = make_retry(retries=7, backoff_factor=0.5, secondary_rate_wait=3)
    assert retry.total == 7 and retry.backoff_factor == 0.5 and retry.secondary_rate_wait == 3
    assert {"GET", "POST", "PATCH", "DELETE"} <= set(retry.allowed_methods or ())
    assert 403 in (retry.status_forcelist or ()) and 502 in (retry.status_forcelist or ())


def test_make_client_defaults_to_github_dot_com() -> None:
    gh = make_client(token="t")
    assert gh.requester.base_url == "https://api.github.com"
    assert isinstance(gh.requester.auth, Auth.Token)
