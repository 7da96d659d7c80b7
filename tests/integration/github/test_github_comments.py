from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from github import Github
from pytest_httpserver import HTTPServer

from pipelineops.errors import UserError
from pipelineops.github.comments import find_sticky_comments, upsert_sticky_comment
from pipelineops.report.model import Section, StageReport
from pipelineops.report.pr_comment import render_pr_comment

REPO = "acme/dw"


def _bodies(marker: str, parts: int, text: str = "run 1") -> list[str]:
    return [
        f"<!-- pipelineops:{marker} part={i}/{parts} -->\n\n{text} part {i}\n" for i in range(1, parts + 1)
    ]


def test_first_run_creates_then_second_run_edits_in_place(
    fake_github: Any, client_for: Callable[..., Github]
) -> None:
    fake_github.add_comment(42, "LGTM from a human")
    gh = client_for(fake_github.api_url)
    first = upsert_sticky_comment(gh, REPO, 42, marker="slim-ci", bodies=_bodies("slim-ci", 2))
    assert len(first) == 2 and fake_github.bodies(42)[1:] == _bodies("slim-ci", 2)

    fake_github.log.clear()
    second = upsert_sticky_comment(gh, REPO, 42, marker="slim-ci", bodies=_bodies("slim-ci", 2, "run 2"))
    assert second == first
    assert fake_github.bodies(42) == ["LGTM from a human", *_bodies("slim-ci", 2, "run 2")]
    assert [method for method, _ in fake_github.writes()] == ["PATCH", "PATCH"]


def test_unchanged_bodies_cause_no_writes(fake_github: Any, client_for: Callable[..., Github]) -> None:
    gh = client_for(fake_github.api_url)
    ids = upsert_sticky_comment(gh, REPO, 42, marker="slim-ci", bodies=_bodies("slim-ci", 1))
    fake_github.log.clear()
    assert upsert_sticky_comment(gh, REPO, 42, marker="slim-ci", bodies=_bodies("slim-ci", 1)) == ids
    assert fake_github.writes() == []


def test_shorter_run_deletes_surplus_parts_and_duplicates(
    fake_github: Any, client_for: Callable[..., Github]
) -> None:
    for body in _bodies("pr-schema", 3, "old"):
        fake_github.add_comment(42, body)
    duplicate = fake_github.add_comment(42, _bodies("pr-schema", 3, "racing run")[0])
    other_stage = fake_github.add_comment(42, _bodies("slim-ci", 1)[0])
    gh = client_for(fake_github.api_url)

    ids = upsert_sticky_comment(gh, REPO, 42, marker="pr-schema", bodies=_bodies("pr-schema", 1, "new"))

    assert ids == [1001]
    assert sorted(fake_github.comments) == [1001, other_stage]
    assert duplicate not in fake_github.comments
    assert fake_github.bodies(42) == [*_bodies("pr-schema", 1, "new"), *_bodies("slim-ci", 1)]


def test_finds_our_comments_across_pages_and_ignores_quotes(
    fake_github: Any, client_for: Callable[..., Github]
) -> None:
    for i in range(5):
        fake_github.add_comment(42, f"chatter {i}")
    ours = fake_github.add_comment(42, _bodies("status", 1)[0])
    fake_github.add_comment(42, "> " + _bodies("status", 1)[0])
    gh = client_for(fake_github.api_url, per_page=2)
    assert [c.id for c in find_sticky_comments(gh, REPO, 42, marker="status")] == [ours]
    pages = [path for method, path in fake_github.log if method == "GET"]
    assert len(pages) == 4


def test_rendered_chunks_round_trip_through_the_api(
    fake_github: Any, client_for: Callable[..., Github]
) -> None:
    rows = tuple((f"model_{i}", "view", "x" * 60) for i in range(1_500))
    sections = tuple(Section(f"Schema {n}", ("model", "kind", "note"), rows) for n in range(3))
    report = StageReport("pr-schema", "success", "PR schema ready", sections=sections)
    bodies = render_pr_comment([report], marker="pr-schema")
    assert len(bodies) > 1
    gh = client_for(fake_github.api_url, per_page=100)
    ids = upsert_sticky_comment(gh, REPO, 42, marker="pr-schema", bodies=bodies)
    assert fake_github.bodies(42) == bodies and len(ids) == len(bodies)


def test_bodies_must_carry_their_part_marker(fake_github: Any, client_for: Callable[..., Github]) -> None:
    gh = client_for(fake_github.api_url)
    with pytest.raises(ValueError, match="part 2"):
        upsert_sticky_comment(gh, REPO, 42, marker="m", bodies=[*_bodies("m", 1), "no marker"])
    assert fake_github.log == []


def test_read_only_token_becomes_a_user_error_naming_the_permission(
    fake_github: Any,
    client_for: Callable[..., Github],
    httpserver: HTTPServer,
    github_fixture: Callable[[str], Any],
) -> None:
    httpserver.expect_oneshot_request(f"/repos/{REPO}/issues/43/comments", method="POST").respond_with_json(
        github_fixture("forbidden.json"), status=403
    )
    gh = client_for(fake_github.api_url)
    with pytest.raises(UserError) as caught:
        upsert_sticky_comment(gh, REPO, 43, marker="slim-ci", bodies=_bodies("slim-ci", 1))
    assert "403 Resource not accessible by integration" in caught.value.what
    assert caught.value.fix == "permissions:\n  pull-requests: write"
    assert "fork" in caught.value.why


def test_listing_failure_is_reported_as_an_api_error(
    fake_github: Any,
    client_for: Callable[..., Github],
    httpserver: HTTPServer,
    github_fixture: Callable[[str], Any],
) -> None:
    httpserver.expect_oneshot_request(f"/repos/{REPO}/issues/44/comments", method="GET").respond_with_json(
        github_fixture("not_found.json"), status=404
    )
    with pytest.raises(
        UserError, match="Listing comments on acme/dw#44 failed: GitHub answered 404 Not Found"
    ):
        find_sticky_comments(client_for(fake_github.api_url), REPO, 44, marker="slim-ci")
