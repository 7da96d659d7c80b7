from __future__ import annotations

from pathlib import Path

import pytest

from pipelineops.errors import UserError
from pipelineops.github.event import Event

EVENTS = Path(__file__).resolve().parents[2] / "fixtures" / "github" / "events"


def test_pull_request_opened() -> None:
    event = Event.from_path(EVENTS / "pull_request_opened.json", event_name="pull_request")
    assert event == Event(
        name="pull_request",
        repository="acme/dw",
        action="opened",
        pr_number=42,
        head_sha="6dcb09b5b57875f334f61aebed695e2e4193db5e",
        head_ref="feature/revenue",
        base_ref="main",
        head_repository="acme/dw",
        merged=False,
    )
    assert event.is_pull_request and not event.is_fork


def test_pull_request_closed_and_merged_without_event_name() -> None:
    event = Event.from_path(str(EVENTS / "pull_request_closed_merged.json"))
    assert (event.name, event.action, event.pr_number, event.merged) == ("pull_request", "closed", 42, True)


def test_fork_pull_request_synchronize() -> None:
    event = Event.from_path(EVENTS / "pull_request_synchronize_fork.json", event_name="pull_request_target")
    assert event.name == "pull_request_target" and event.action == "synchronize"
    assert event.head_sha == "3333333333333333333333333333333333333333"
    assert event.is_fork and event.head_repository == "outsider/dw"


def test_push_has_ref_and_sha_but_no_pull_request() -> None:
    event = Event.from_path(EVENTS / "push.json", event_name="push")
    assert event == Event(
        name="push",
        repository="acme/dw",
        ref="refs/heads/main",
        sha="e5bd3914e2e596debea16f433f57875b5b90bcd6",
    )
    assert not event.is_pull_request and not event.is_fork


def test_workflow_dispatch_without_event_name_is_unknown_kind() -> None:
    event = Event.from_path(EVENTS / "workflow_dispatch.json")
    assert (event.name, event.repository, event.ref, event.sha) == (
        "unknown",
        "acme/dw",
        "refs/heads/main",
        None,
    )


@pytest.mark.parametrize("path", [None, ""])
def test_unset_path_says_how_to_fix_it(path: str | None) -> None:
    with pytest.raises(UserError, match="GITHUB_EVENT_PATH is not set") as caught:
        Event.from_path(path)
    assert "saved event payload" in caught.value.fix


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Cannot read the event payload") as caught:
        Event.from_path(tmp_path / "nope.json")
    assert "No such file" in caught.value.why


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"action": "opened"}', "has no repository.full_name"),
        ('{"repository": {"full_name": ""}}', "has no repository.full_name"),
        ('{"repository": {"full_name": "a/b"}, "pull_request": {"head": {}}}', "has no PR number"),
        ('{"repository": {"full_name": "a/b"}, "pull_request": {"number": true}}', "has no PR number"),
    ],
)
def test_malformed_payloads_are_user_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message) as caught:
        Event.from_path(path)
    assert caught.value.runbook == "github-event.md"


def test_pr_number_falls_back_to_the_top_level_number() -> None:
    event = Event.from_payload(
        {"repository": {"full_name": "a/b"}, "number": 5, "pull_request": {"state": "open"}}
    )
    assert event.pr_number == 5 and event.head_sha is None and event.base_ref is None
