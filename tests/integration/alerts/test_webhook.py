"""Alerts against a real HTTP server on 127.0.0.1: delivered, retried with back-off after a 500, given up
(with a warning, never an exception) when the server is down, and the URL never printed."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer

from pipelineops.commands import alerts as send_alerts
from pipelineops.errors import UserError, WarehouseBusy
from pipelineops.execute.context import Context
from pipelineops.plan import alerts
from pipelineops.plan.history import LockHolder
from pipelineops.report.model import Annotation, StageReport
from pipelineops.report.reporter import TerminalReporter

ALERT = alerts.make(
    "anomaly", environment="prod", title="1 of 4 judged models anomalous", run_url="https://gh.example/run/1"
)


@pytest.fixture
def reporter() -> Iterator[tuple[TerminalReporter, io.StringIO]]:
    out = io.StringIO()
    yield TerminalReporter(out, color=False), out


def _url(server: HTTPServer) -> str:
    return server.url_for("/hooks/T000/B000/secret-token")


def test_an_alert_is_posted_as_slack_json(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, out = reporter
    httpserver.expect_oneshot_request("/hooks/T000/B000/secret-token", method="POST").respond_with_data("ok")
    assert send_alerts.send(ALERT, environ={send_alerts.ENV_WEBHOOK: _url(httpserver)}, reporter=rep)
    ((request, _),) = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.get_data())
    assert body["text"].startswith("[SEV2] prod: 1 of 4 judged models anomalous\n")
    assert "Run: https://gh.example/run/1" in body["text"] and "sev2-anomaly.md" in body["text"]
    assert "secret-token" not in out.getvalue()


def test_a_500_is_retried_with_back_off_then_delivered(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, out = reporter
    path = "/hooks/T000/B000/secret-token"
    httpserver.expect_ordered_request(path, method="POST").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request(path, method="POST").respond_with_data("ok", status=200)
    slept: list[float] = []
    ok = send_alerts.send(
        ALERT, environ={send_alerts.ENV_WEBHOOK: _url(httpserver)}, reporter=rep, sleep=slept.append
    )
    assert ok and slept == [1.0] and len(httpserver.log) == 2
    httpserver.check_assertions()
    assert "not delivered" not in out.getvalue()


def test_a_server_that_keeps_failing_is_given_up_with_a_warning(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, out = reporter
    httpserver.expect_request("/hooks/T000/B000/secret-token").respond_with_data("down", status=503)
    slept: list[float] = []
    ok = send_alerts.send(
        ALERT, environ={send_alerts.ENV_WEBHOOK: _url(httpserver)}, reporter=rep, sleep=slept.append
    )
    assert not ok and slept == [1.0, 2.0] and len(httpserver.log) == 3
    text = out.getvalue()
    assert "alert anomaly not delivered to the webhook after 3 attempts (HTTP 503)" in text
    assert "secret-token" not in text and "127.0.0.1" not in text


def test_a_4xx_is_not_retried(httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]) -> None:
    rep, out = reporter
    httpserver.expect_request("/hooks/T000/B000/secret-token").respond_with_data("gone", status=404)
    slept: list[float] = []
    assert not send_alerts.send(
        ALERT, environ={send_alerts.ENV_WEBHOOK: _url(httpserver)}, reporter=rep, sleep=slept.append
    )
    assert slept == [] and len(httpserver.log) == 1
    assert "after 1 attempt (HTTP 404)" in out.getvalue()


def test_a_server_that_is_down_warns_and_never_raises(reporter: tuple[TerminalReporter, io.StringIO]) -> None:
    rep, out = reporter
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks/secret-token"
    slept: list[float] = []
    assert not send_alerts.send(
        ALERT, environ={send_alerts.ENV_WEBHOOK: url}, reporter=rep, sleep=slept.append, timeout_s=2
    )
    assert slept == [1.0, 2.0]
    text = out.getvalue()
    assert "not delivered to the webhook after 3 attempts (URLError: [Errno 111] Connection refused)" in text
    assert "secret-token" not in text and str(port) not in text


def test_nothing_is_sent_without_a_webhook_and_a_bad_one_warns(
    reporter: tuple[TerminalReporter, io.StringIO],
) -> None:
    rep, out = reporter
    assert not send_alerts.send(ALERT, environ={}, reporter=rep)
    assert not send_alerts.notify("anomaly", environment="prod", title="t", environ={}, reporter=rep)
    assert out.getvalue() == ""
    assert not send_alerts.send(ALERT, environ={send_alerts.ENV_WEBHOOK: "#on-call secret"}, reporter=rep)
    assert "is not an http(s) URL: alert anomaly not sent" in out.getvalue()
    assert "#on-call" not in out.getvalue()


def test_lock_held_alerts_only_past_the_limit(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, _ = reporter
    httpserver.expect_request("/hooks/T000/B000/secret-token").respond_with_data("ok")
    environ = {
        send_alerts.ENV_WEBHOOK: _url(httpserver),
        send_alerts.ENV_RUNBOOK_BASE: "https://wiki.example/rb",
    }
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    kwargs = {
        "environment": "prod",
        "holder": "deploy d1 (ci)",
        "now": now,
        "environ": environ,
        "reporter": rep,
    }
    assert not send_alerts.lock_held(acquired_at=now - timedelta(minutes=30), **kwargs)  # type: ignore[arg-type]
    assert not send_alerts.lock_held(acquired_at="yesterday", **kwargs)  # type: ignore[arg-type]
    assert send_alerts.lock_held(acquired_at=now - timedelta(minutes=90), **kwargs)  # type: ignore[arg-type]
    ((request, _),) = httpserver.log
    body = json.loads(request.get_data())
    assert body["text"].startswith("[SEV2] prod: the deploy lock has been held by deploy d1 (ci) for 90 min")
    assert "Runbook: https://wiki.example/rb/deploy-lock.md" in body["text"]


# --- the stage hooks ---------------------------------------------------------------------------------


def _ctx(environ: dict[str, str], rep: TerminalReporter) -> Context:
    return Context(
        config=None,  # type: ignore[arg-type]  # the hooks read only the environment name, environ and clock
        env_name="prod",
        dry_run=False,
        reporter=rep,
        environ=environ,
        clock=lambda: datetime(2026, 1, 1, 12, tzinfo=UTC),
    )


def _gh(httpserver: HTTPServer) -> dict[str, str]:
    return {
        send_alerts.ENV_WEBHOOK: _url(httpserver),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/dbt",
        "GITHUB_RUN_ID": "42",
    }


def test_a_failed_check_alerts_and_a_passing_one_does_not(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, _ = reporter
    httpserver.expect_request("/hooks/T000/B000/secret-token").respond_with_data("ok")
    ctx = _ctx(_gh(httpserver), rep)
    ok = StageReport(stage="freshness", conclusion="success", title="all 6 sources on time")
    late = StageReport(
        stage="freshness",
        conclusion="failure",
        title="1 of 6 sources late",
        annotations=(Annotation("error", "raw.shipments: late"),),
    )
    assert send_alerts.on_report(ctx, ok, event="freshness-breach") is ok
    assert send_alerts.on_report(ctx, late, event="freshness-breach") is late
    ((request, _),) = httpserver.log
    text = json.loads(request.get_data())["text"]
    assert text.startswith("[SEV3] prod: 1 of 6 sources late\nraw.shipments: late\n")
    assert "Run: https://github.com/acme/dbt/actions/runs/42" in text and "sev3-freshness.md" in text


def test_deploy_hooks_name_blocked_failed_and_the_held_lock(
    httpserver: HTTPServer, reporter: tuple[TerminalReporter, io.StringIO]
) -> None:
    rep, _ = reporter
    httpserver.expect_request("/hooks/T000/B000/secret-token").respond_with_data("ok")
    ctx = _ctx(_gh(httpserver), rep)
    blocked = StageReport(
        stage="bluegreen-swap",
        conclusion="failure",
        title="Deploy stopped by a failing gate: nothing published",
    )
    send_alerts.on_deploy(ctx, blocked)
    send_alerts.on_deploy(
        ctx, StageReport(stage="bluegreen-swap", conclusion="failure", title="smoke failed")
    )
    send_alerts.on_deploy(ctx, StageReport(stage="bluegreen-swap", conclusion="success", title="Deployed"))

    class Journal:
        def __init__(self, holder: LockHolder | None) -> None:
            self._holder = holder

        def holder(self) -> LockHolder | None:
            return self._holder

    old = LockHolder("d1", "ci", "", datetime(2026, 1, 1, 9, tzinfo=UTC))
    busy = WarehouseBusy("the prod deploy lock is held by deploy d1")
    send_alerts.on_deploy_error(SimpleNamespace(ctx=ctx, journal=Journal(old)), busy)  # type: ignore[arg-type]
    send_alerts.on_deploy_error(SimpleNamespace(ctx=ctx, journal=Journal(None)), busy)  # type: ignore[arg-type]
    send_alerts.on_deploy_error(
        SimpleNamespace(ctx=ctx, journal=Journal(None)),  # type: ignore[arg-type]
        UserError("dbt build failed", fix="fix the model"),
    )
    texts = [json.loads(r.get_data())["text"].split("\n")[0] for r, _ in httpserver.log]
    assert texts == [
        "[SEV2] prod: Deploy stopped by a failing gate: nothing published",
        "[SEV2] prod: smoke failed",
        "[SEV2] prod: the deploy lock has been held by deploy d1 (ci) for 180 min",
        "[SEV2] prod: deploy failed: dbt build failed",
    ]
    bodies = [json.loads(r.get_data()) for r, _ in httpserver.log]
    assert "pipelineops deploy-blocked" in bodies[0]["blocks"][1]["elements"][0]["text"]
    assert "pipelineops deploy-failed" in bodies[1]["blocks"][1]["elements"][0]["text"]


def test_hooks_send_nothing_without_a_webhook(reporter: tuple[TerminalReporter, io.StringIO]) -> None:
    rep, out = reporter
    ctx = _ctx({}, rep)
    report = StageReport(stage="anomaly", conclusion="failure", title="1 anomalous")
    assert send_alerts.on_report(ctx, report, event="anomaly") is report
    send_alerts.on_deploy_error(SimpleNamespace(ctx=ctx), UserError("x"))  # type: ignore[arg-type]
    assert out.getvalue() == ""
