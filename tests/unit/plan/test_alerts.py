"""Alert contents: the SEV level and runbook of each event, the run URL, a Slack-compatible payload."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelineops.plan import alerts

RUNBOOKS = Path(__file__).resolve().parents[3] / "runbooks"


@pytest.mark.parametrize("event", sorted(alerts.EVENTS))
def test_every_event_names_a_runbook_that_exists_with_its_sev_level(event: alerts.Event) -> None:
    severity, runbook = alerts.EVENTS[event]
    assert (RUNBOOKS / runbook).is_file()
    if runbook.startswith("sev"):
        assert runbook.upper().startswith(severity)


def test_an_alert_carries_severity_environment_run_and_runbook() -> None:
    a = alerts.make(
        "anomaly",
        environment="prod",
        title="1 of 4 judged models anomalous",
        detail="marts.fct_orders: drop",
        run_url="https://github.com/o/r/actions/runs/1",
        runbook_base="https://wiki.example/runbooks",
    )
    assert a.severity == "SEV2" and a.runbook_url == "https://wiki.example/runbooks/sev2-anomaly.md"
    assert alerts.text(a) == (
        "[SEV2] prod: 1 of 4 judged models anomalous\nmarts.fct_orders: drop\n"
        "Run: https://github.com/o/r/actions/runs/1\nRunbook: https://wiki.example/runbooks/sev2-anomaly.md"
    )
    body = alerts.payload(a)
    assert body["text"] == alerts.text(a)
    blocks = body["blocks"]
    assert isinstance(blocks, list)
    assert (
        blocks[0]["text"]["text"]
        == ":warning: *SEV2* `prod` 1 of 4 judged models anomalous\nmarts.fct_orders: drop"
    )
    assert blocks[1]["elements"][0]["text"] == (
        "pipelineops anomaly · <https://github.com/o/r/actions/runs/1|run> · "
        "<https://wiki.example/runbooks/sev2-anomaly.md|runbook>"
    )


def test_an_alert_without_run_or_detail() -> None:
    a = alerts.make("rollback-done", environment="prod", title="rolled back")
    assert a.runbook_url == alerts.RUNBOOK_BASE + "sev1-production-broken.md"
    assert alerts.text(a) == f"[SEV1] prod: rolled back\nRunbook: {a.runbook_url}"
    blocks = alerts.payload(a)["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["text"]["text"] == ":rotating_light: *SEV1* `prod` rolled back"
    assert "|run>" not in blocks[1]["elements"][0]["text"]
    assert len(alerts.make("deploy-failed", environment="e", title="t", detail="x" * 5000).detail) == 1500


def test_lock_held_too_long() -> None:
    assert alerts.lock_held_too_long(61, 60) and not alerts.lock_held_too_long(60, 60)
