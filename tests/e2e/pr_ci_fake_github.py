"""A small GitHub REST fake for the PR CI end-to-end test: issue comments and pull states, on 127.0.0.1.

Responses are the saved payloads of ``tests/fixtures/github`` with the fields that vary filled in.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeGitHub:
    def __init__(self, server: HTTPServer, repo: str, pulls: dict[int, str]) -> None:
        self.server = server
        self.repo = repo
        self.pulls = pulls
        self.comments: dict[int, dict[str, Any]] = {}
        self.next_id = 5000
        self.log: list[tuple[str, str]] = []
        r = re.escape(repo)
        self._issue_comments = re.compile(rf"/repos/{r}/issues/(\d+)/comments")
        self._comment = re.compile(rf"/repos/{r}/issues/comments/(\d+)")
        self._pull = re.compile(rf"/repos/{r}/pulls/(\d+)")
        server.expect_request(re.compile(r".*")).respond_with_handler(self.dispatch)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def bodies(self, issue: int) -> list[str]:
        return [c["body"] for c in self.comments.values() if c["_issue"] == issue]

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.log if m != "GET"]

    def _json(self, payload: Any, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json")

    def _public(self, cid: int) -> dict[str, Any]:
        return {k: v for k, v in self.comments[cid].items() if not k.startswith("_")}

    def dispatch(self, request: Request) -> Response:
        self.log.append((request.method, request.path))
        if found := self._issue_comments.fullmatch(request.path):
            issue = int(found.group(1))
            if request.method == "POST":
                self.next_id += 1
                c = copy.deepcopy(fixture("issue_comment.json"))
                c.update(
                    id=self.next_id,
                    body=request.get_json()["body"],
                    url=f"{self.api_url}/repos/{self.repo}/issues/comments/{self.next_id}",
                    _issue=issue,
                )
                self.comments[self.next_id] = c
                return self._json(self._public(self.next_id), 201)
            return self._json(
                [self._public(i) for i, c in sorted(self.comments.items()) if c["_issue"] == issue]
            )
        if found := self._comment.fullmatch(request.path):
            cid = int(found.group(1))
            if cid in self.comments and request.method == "PATCH":
                self.comments[cid]["body"] = request.get_json()["body"]
                return self._json(self._public(cid))
        if (found := self._pull.fullmatch(request.path)) and int(found.group(1)) in self.pulls:
            number = int(found.group(1))
            state = self.pulls[number]
            pull = fixture("pull_open.json" if state == "open" else "pull_closed.json")
            pull.update(number=number, state=state)
            return self._json(pull)
        return self._json(fixture("not_found.json"), 404)
