"""A small GitHub REST fake served over real HTTP on 127.0.0.1 (pytest-httpserver), fed by saved payloads."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import github
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipelineops.github.client import make_client

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
REPO = "acme/dw"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeGitHub:
    """Issue comments for one repository: list (paginated with Link headers), create, edit, delete."""

    def __init__(self, server: HTTPServer, prefix: str) -> None:
        self.server = server
        self.prefix = prefix
        self.comments: dict[int, dict[str, Any]] = {}
        self.next_id = 1000
        self.log: list[tuple[str, str]] = []
        self._issue_comments = re.compile(rf"{re.escape(prefix)}/repos/{REPO}/issues/(\d+)/comments")
        self._comment = re.compile(rf"{re.escape(prefix)}/repos/{REPO}/issues/comments/(\d+)")
        server.expect_request(re.compile(r".*")).respond_with_handler(self.dispatch)

    @property
    def api_url(self) -> str:
        return self.server.url_for(self.prefix or "/").rstrip("/")

    def add_comment(self, issue: int, body: str) -> int:
        comment = copy.deepcopy(load_fixture("issue_comment.json"))
        self.next_id += 1
        comment["id"] = self.next_id
        comment["body"] = body
        comment["url"] = f"{self.api_url}/repos/{REPO}/issues/comments/{self.next_id}"
        comment["issue_url"] = f"{self.api_url}/repos/{REPO}/issues/{issue}"
        comment["_issue"] = issue
        self.comments[self.next_id] = comment
        return self.next_id

    def bodies(self, issue: int) -> list[str]:
        return [c["body"] for c in self.comments.values() if c["_issue"] == issue]

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.log if method != "GET"]

    def _json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")

    def dispatch(self, request: Request) -> Response:
        self.log.append((request.method, request.path))
        if found := self._issue_comments.fullmatch(request.path):
            issue = int(found.group(1))
            if request.method == "POST":
                return self._json(self._public(self.add_comment(issue, request.get_json()["body"])), 201)
            if request.method == "GET":
                return self._page(request, issue)
        if found := self._comment.fullmatch(request.path):
            comment_id = int(found.group(1))
            if comment_id not in self.comments:
                return self._json(load_fixture("not_found.json"), 404)
            if request.method == "PATCH":
                self.comments[comment_id]["body"] = request.get_json()["body"]
                return self._json(self._public(comment_id))
            if request.method == "DELETE":
                del self.comments[comment_id]
                return Response(status=204)
        return self._json(load_fixture("not_found.json"), 404)

    def _public(self, comment_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.comments[comment_id].items() if not k.startswith("_")}

    def _page(self, request: Request, issue: int) -> Response:
        ids = [cid for cid, c in sorted(self.comments.items()) if c["_issue"] == issue]
        per_page = int(request.args.get("per_page", "30"))
        page = int(request.args.get("page", "1"))
        chunk = ids[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(ids):
            url = f"{self.api_url}/repos/{REPO}/issues/{issue}/comments?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{url}>; rel="next"'
        return self._json([self._public(cid) for cid in chunk], headers=headers)


@pytest.fixture
def fake_github(httpserver: HTTPServer) -> Iterator[FakeGitHub]:
    yield FakeGitHub(httpserver, "")
    httpserver.clear()


@pytest.fixture
def fake_ghe(httpserver: HTTPServer) -> Iterator[FakeGitHub]:
    yield FakeGitHub(httpserver, "/api/v3")
    httpserver.clear()


ClientFactory = Callable[..., github.Github]


def _client_for(api_url: str, *, per_page: int = 2, retries: int = 3) -> github.Github:
    return make_client(
        token="ghs_test_token",
        api_url=api_url,
        retries=retries,
        backoff_factor=0,
        secondary_rate_wait=0,
        seconds_between_requests=0,
        seconds_between_writes=0,
        per_page=per_page,
        timeout=5,
    )


@pytest.fixture
def client_for() -> ClientFactory:
    """A client with no waits anywhere: zero backoff, no throttling between requests."""
    return _client_for


@pytest.fixture
def github_fixture() -> Callable[[str], Any]:
    """Load a saved payload from tests/fixtures/github."""
    return load_fixture
