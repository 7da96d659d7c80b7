"""``pipelineops status``: the environment's state rendered from its journal rows and lock holder, and how
the build readers see was deployed (slim or full, and why)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.unit.report.golden_cases import BASE, BLOCKED, GHA, NOW, ROLLED_BACK, deployed

from pipelineops.plan import audit
from pipelineops.plan.history import LockHolder
from pipelineops.plan.slim_deploy import ModeRecord
from pipelineops.report.status import serving_mode, status_report


def test_status_shows_the_serving_builds_mode() -> None:
    rows = [
        {
            "deploy_id": "d1",
            "step": "prepare",
            "status": "succeeded",
            "detail": ModeRecord("full", "--mode full", built=9).detail(),
        },
        {
            "deploy_id": "d2",
            "step": "prepare",
            "status": "succeeded",
            "detail": ModeRecord("slim", built=2, carried=5).detail(),
        },
    ]
    assert serving_mode(rows, "d1") == [
        ("serving build mode", "full: 9 node(s) built"),
        ("serving build full because", "--mode full"),
    ]
    assert serving_mode(rows, "d2") == [
        ("serving build mode", "slim: 2 node(s) built, 5 table(s) carried over, 0 view(s) re-created")
    ]
    assert serving_mode(rows, "d0") == []  # a deploy before slim deploys recorded nothing
    assert serving_mode(rows, None) == []


def test_status_of_an_environment_nothing_was_published_to() -> None:
    since = timedelta(days=7)
    delivery = audit.delivery([], now=NOW, since=since)
    report = status_report("dev", [], None, now=NOW, environ={}, delivery=delivery)
    assert report.conclusion == "success"
    assert report.title == "dev: nothing is live; lock free"
    assert dict(report.facts) == {
        "environment": "dev",
        "serving build": "none: nothing is published yet",
        "rollback": "not possible: there is no earlier good build",
        "deploy lock": "free",
    }
    assert report.advice == ()  # nothing is live: no re-publish advice
    assert [s.title for s in report.sections] == ["Recent publications", "Delivery, last 7 days (DORA)"]
    assert report.sections[0].rows == ()
    assert report.outputs == (("live-colour", ""), ("serving-deploy", ""), ("lock-holder", ""))
    assert report.data["live"] is None and report.data["lock"] is None
    assert report.data["delivery"]["since_hours"] == 168.0
    assert report.data["delivery"]["daily"] == [[d.isoformat(), n] for d, n in delivery.daily]


def test_status_in_a_terminal_tells_how_to_finish_the_lock_holders_rollback() -> None:
    naive = datetime(2026, 12, 6, 3, 30)  # a journal without time zones is read as UTC
    rows = [
        {**r, "run_url": "", "started_at": naive, "finished_at": naive}
        for r in [*deployed("d-1", "BLUE", 30), *ROLLED_BACK]
    ]
    holder = LockHolder("r-1", "octo-cat", "", "yesterday")
    report = status_report("prod", rows, holder, now=NOW.replace(tzinfo=None), environ={}, limit=1)
    facts = dict(report.facts)
    assert facts["published by"] == "rollback r-1"
    assert facts["since"] == "2026-12-06 03:30 UTC (1 h ago)"
    assert facts["its run"] == "not recorded"
    assert facts["rollback"] == "not possible: there is no earlier good build"
    assert facts["deploy lock"] == "⚠️ HELD by rollback r-1 (octo-cat) since yesterday"
    assert facts["lock holder's run"] == "not recorded"
    assert report.conclusion == "neutral"
    assert report.title == "prod: BLUE is live (deploy d-1); lock HELD"
    lock, no_republish = report.advice
    assert lock.command == "pipelineops rollback --env prod --rollback-id r-1"
    assert lock.link is None
    assert no_republish.text.startswith("No re-publish is possible: there is no earlier good build")
    assert [row[0] for row in report.sections[0].rows] == ["r-1"]  # limit=1: the newest only
    assert report.annotations[0].title == "deploy lock held"


def test_status_names_a_deploy_lock_holder_and_blocked_deploys_without_runs() -> None:
    blocked = [{**r, "run_url": "", "finished_at": None, "error": None, "git_sha": None} for r in BLOCKED]
    holder = LockHolder("d-9", "ci", "", None)
    report = status_report("prod", [*BASE, *blocked], holder, now=NOW, environ=GHA)
    lock = report.advice[0]
    assert lock.command == "pipelineops bluegreen-swap --env prod --deploy-id d-9"
    assert dict(report.facts)["deploy lock"] == "⚠️ HELD by deploy d-9 (ci) since -"
    assert report.sections[0].title == "1 deploy(s) blocked since the live publication"
    assert report.sections[0].rows == (("d-3", "", "-", "2026-12-06 02:30 UTC (2 h ago)"),)
