"""The delivery numbers from journal rows shaped as the deploy, rollback and gate paths write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipelineops.errors import UserError
from pipelineops.plan import audit

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def cutover(deploy_id: str, kind: str, colour: str, at: datetime, detail: str = "") -> dict[str, object]:
    return {
        "deploy_id": deploy_id,
        "kind": kind,
        "step": "cutover",
        "status": "succeeded",
        "colour_to": colour,
        "git_sha": f"sha-{deploy_id}",
        "started_at": at,
        "finished_at": at,
        "detail": detail,
    }


def finish(deploy_id: str, status: str, at: datetime, error: str = "") -> dict[str, object]:
    return {
        "deploy_id": deploy_id,
        "kind": "deploy",
        "step": "finish",
        "status": status,
        "started_at": at,
        "finished_at": at,
        "error": error,
    }


def journal() -> list[dict[str, object]]:
    h = timedelta(hours=1)
    return [
        cutover("a", "deploy", "BLUE", T0),
        finish("a", "succeeded", T0),
        cutover("b", "deploy", "GREEN", T0 + 24 * h),
        finish("b", "succeeded", T0 + 24 * h),
        # b was bad: rolled back 2 h later
        cutover("r1", "rollback", "BLUE", T0 + 26 * h, detail="back to deploy a: bad numbers"),
        # c was blocked by a gate, then its re-run with the same id is blocked again
        finish("c", "failed", T0 + 30 * h, error=audit.GATE_FAILED),
        # d was blocked once, its re-run published
        finish("d", "failed", T0 + 31 * h, error=audit.GATE_FAILED),
        cutover("d", "deploy", "GREEN", T0 + 32 * h),
        finish("d", "succeeded", T0 + 32 * h),
        # e published, its smoke check failed: re-published d automatically (same id, kind rollback)
        cutover("e", "deploy", "BLUE", (T0 + 48 * h).isoformat()),
        cutover("e", "rollback", "GREEN", T0 + 48 * h + timedelta(minutes=6), detail="back to deploy d: x"),
        finish("e", "failed", T0 + 48 * h, error="smoke failed: x"),
        {
            "deploy_id": "f",
            "kind": "deploy",
            "step": "build",
            "status": "started",
            "started_at": "not a time",
        },
    ]


def test_the_four_numbers_from_a_journal() -> None:
    now = T0 + timedelta(days=3)
    committed = {"a": T0 - timedelta(hours=2), "b": T0 + timedelta(hours=20), "d": T0 + timedelta(hours=40)}
    d = audit.delivery(journal(), now=now, since=timedelta(days=30), committed=committed)
    assert d.deploys == 4  # a, b, d, e
    assert d.per_day == pytest.approx(4 / 30)
    # a: 2 h, b: 4 h (d's commit time is after its publish: not a sample)
    assert d.lead_samples == 2 and d.lead_time_h == pytest.approx(3.0)
    assert (d.failures, d.attempts) == (3, 5)  # b and e taken off, c blocked; d's block was re-run
    assert d.failure_rate == pytest.approx(0.6)
    assert d.restores == 2 and d.restore_h == pytest.approx((2 + 0.1) / 2)
    assert d.daily[-4:] == (
        (date(2026, 5, 1), 1),
        (date(2026, 5, 2), 2),
        (date(2026, 5, 3), 1),
        (date(2026, 5, 4), 0),
    )
    assert len(d.daily) == 31  # 2026-04-04 … 2026-05-04
    assert dict(d.facts()) == {
        "deploys per day": "0.13 (4 in 30 d)",
        "lead time (commit → publish)": "3.0 h (median of 2)",
        "change failure rate": "60% (3 of 5)",
        "time to restore": "1.05 h (median of 2)",
    }


def test_the_window_leaves_older_deploys_out() -> None:
    d = audit.delivery(journal(), now=T0 + timedelta(hours=47), since=timedelta(hours=20))
    assert (d.deploys, d.attempts, d.failures) == (1, 2, 1)  # d published, c blocked
    assert d.lead_time_h is None and d.restore_h is None
    assert d.daily == ((date(2026, 5, 2), 1), (date(2026, 5, 3), 0))


def test_an_empty_journal() -> None:
    d = audit.delivery([], now=T0, since=timedelta(days=7))
    assert d.failure_rate is None and d.deploys == 0
    assert dict(d.facts())["change failure rate"] == "no deploy yet"
    assert dict(d.facts())["lead time (commit → publish)"] == "unknown (no commit time recorded)"
    assert dict(d.facts())["time to restore"] == "nothing to restore"


@pytest.mark.parametrize(("raw", "hours"), [("30d", 720), ("12h", 12), ("2w", 336), (" 1d ", 24)])
def test_parse_since(raw: str, hours: int) -> None:
    assert audit.parse_since(raw) == timedelta(hours=hours)


@pytest.mark.parametrize("raw", ["", "0d", "30", "d", "1y", "-1d", "30 d"])
def test_parse_since_refuses_what_is_not_a_duration(raw: str) -> None:
    with pytest.raises(UserError, match="is not a duration"):
        audit.parse_since(raw)


def test_as_time() -> None:
    assert audit.as_time(T0) is T0
    assert audit.as_time(T0.isoformat()) == T0
    assert audit.as_time("nope") is None and audit.as_time("") is None and audit.as_time(3) is None


def test_a_restore_without_a_known_time_is_left_out() -> None:
    rows = [
        cutover("a", "deploy", "BLUE", T0),
        cutover("b", "deploy", "GREEN", T0 + timedelta(hours=1)),
        {
            **cutover("r", "rollback", "BLUE", T0, detail="back to deploy a"),
            "finished_at": "?",
            "started_at": "?",
        },
    ]
    d = audit.delivery(rows, now=T0 + timedelta(days=1), since=timedelta(days=2))
    assert (d.failures, d.restores, d.restore_h) == (1, 0, None)
