from __future__ import annotations

from collections.abc import Callable
from typing import Any

from github import Github
from pytest_httpserver import HTTPServer

from pipelineops.github.pulls import pull_states

REPO = "acme/dw"


def test_pull_states_open_closed_and_missing(
    httpserver: HTTPServer, client_for: Callable[..., Github], github_fixture: Callable[[str], Any]
) -> None:
    httpserver.expect_request(f"/repos/{REPO}/pulls/42").respond_with_json(github_fixture("pull_open.json"))
    httpserver.expect_request(f"/repos/{REPO}/pulls/7").respond_with_json(github_fixture("pull_closed.json"))
    httpserver.expect_request(f"/repos/{REPO}/pulls/99").respond_with_json(
        github_fixture("not_found.json"), status=404
    )
    gh = client_for(httpserver.url_for("/").rstrip("/"))
    assert pull_states(gh, REPO, [99, 42, 7, 42]) == {7: "closed", 42: "open", 99: "missing"}
    assert sorted(request.path for request, _ in httpserver.log) == [
        f"/repos/{REPO}/pulls/42",
        f"/repos/{REPO}/pulls/7",
        f"/repos/{REPO}/pulls/99",
    ]


def test_pull_states_of_nothing_makes_no_request(
    httpserver: HTTPServer, client_for: Callable[..., Github]
) -> None:
    assert pull_states(client_for(httpserver.url_for("/").rstrip("/")), REPO, []) == {}
    assert httpserver.log == []
