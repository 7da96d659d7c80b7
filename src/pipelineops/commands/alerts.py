"""Post on-call alerts to an optional Slack-compatible webhook (``PIPELINEOPS_ALERT_WEBHOOK``).

The URL is a secret: it comes only from the environment (a GitHub secret passed through ``env:``), is
masked in the log, and never appears in a message. Delivery is retried with exponential back-off on a
connection error, a timeout, HTTP 429 or 5xx; after the last attempt the stage warns and carries on: an
alert never changes the outcome of the stage that sends it. Without the variable nothing is sent.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime

from pipelineops.errors import PipelineOpsError, WarehouseBusy
from pipelineops.execute.context import Context
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import alerts
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)

ENV_WEBHOOK = "PIPELINEOPS_ALERT_WEBHOOK"
ENV_RUNBOOK_BASE = "PIPELINEOPS_RUNBOOK_URL"  # where the runbook links point (a fork, GHES, an internal wiki)
ATTEMPTS = 3
BASE_DELAY_S = 1.0
TIMEOUT_S = 10.0
LOCK_HELD_MINUTES = 60


def _retryable(code: int) -> bool:
    return code == 429 or code >= 500


def send(
    alert: alerts.Alert,
    *,
    environ: Mapping[str, str],
    reporter: Reporter,
    attempts: int = ATTEMPTS,
    base_delay_s: float = BASE_DELAY_S,
    timeout_s: float = TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Post ``alert``; True when the webhook accepted it, False when none is set or delivery failed."""
    url = environ.get(ENV_WEBHOOK, "").strip()
    if not url:
        log.debug("no %s: alert %s not sent", ENV_WEBHOOK, alert.event)
        return False
    reporter.mask(url)
    if not url.startswith(("https://", "http://")):
        reporter.warning(
            f"{ENV_WEBHOOK} is not an http(s) URL: alert {alert.event} not sent "
            f"(runbook: runbooks/{alerts.ALERTS_RUNBOOK})"
        )
        return False
    body = json.dumps(alerts.payload(alert)).encode("utf-8")
    problem = ""
    tried = 0
    for tried in range(1, max(attempts, 1) + 1):
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above: http(s) only)
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (http(s) only)
                status = int(response.status)
            if 200 <= status < 300:
                log.info("alert %s delivered (attempt %d)", alert.event, tried)
                return True
            problem = f"HTTP {status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if not _retryable(exc.code):
                break
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = f"{type(exc).__name__}: {reason}".replace(url, "<webhook>")
        if tried < attempts:
            sleep(base_delay_s * 2 ** (tried - 1))
    reporter.warning(
        f"alert {alert.event} not delivered to the webhook after {tried} attempt{'s' if tried != 1 else ''} "
        f"({problem}); the stage carries on (runbook: runbooks/{alerts.ALERTS_RUNBOOK})"
    )
    return False


def notify(
    event: alerts.Event,
    *,
    environment: str,
    title: str,
    detail: str = "",
    environ: Mapping[str, str],
    reporter: Reporter,
    run_url: str = "",
) -> bool:
    """Build and send one alert; never raises (a failure to alert is a warning)."""
    if not environ.get(ENV_WEBHOOK, "").strip():
        return False
    try:
        alert = alerts.make(
            event,
            environment=environment,
            title=title,
            detail=detail,
            run_url=run_url,
            runbook_base=environ.get(ENV_RUNBOOK_BASE, "") or alerts.RUNBOOK_BASE,
        )
        return send(alert, environ=environ, reporter=reporter)
    except Exception as exc:  # an alert never fails the stage
        log.warning("alert %s not sent: %s", event, type(exc).__name__)
        reporter.warning(f"alert {event} not sent ({type(exc).__name__})")
        return False


def lock_held(
    *,
    environment: str,
    holder: str,
    acquired_at: object,
    now: datetime,
    environ: Mapping[str, str],
    reporter: Reporter,
    run_url: str = "",
    limit_minutes: int = LOCK_HELD_MINUTES,
) -> bool:
    """Alert when the deploy lock has been held longer than ``limit_minutes``."""
    if not isinstance(acquired_at, datetime):
        return False
    minutes = (now - acquired_at).total_seconds() / 60
    if not alerts.lock_held_too_long(minutes, limit_minutes):
        return False
    return notify(
        "lock-held",
        environment=environment,
        title=f"the deploy lock has been held by {holder} for {minutes:.0f} min",
        detail="If that run is dead, re-run it with its id or release the lock with --force-unlock.",
        environ=environ,
        reporter=reporter,
        run_url=run_url,
    )


# -- the hooks of the stages: one call each ------------------------------------------------------------


def on_report(
    ctx: Context, report: StageReport, *, event: alerts.Event, when: str = "failure"
) -> StageReport:
    """Alert ``event`` when ``report`` ended in ``when`` (``failure``: a check found something; ``success``:
    a rollback was done); return the report unchanged, so a stage can ``return alerts.on_report(...)``."""
    if report.conclusion == when:
        notify(
            event,
            environment=ctx.env_name,
            title=report.title,
            detail="; ".join(a.message for a in report.annotations[:5]),
            environ=ctx.environ,
            reporter=ctx.reporter,
            run_url=ctx.run_url,
        )
    return report


def on_deploy(ctx: Context, report: StageReport) -> StageReport:
    """A deploy that ended in failure: blocked by a gate (nothing published) or failed after publishing."""
    blocked = "failing gate" in report.title
    return on_report(ctx, report, event="deploy-blocked" if blocked else "deploy-failed")


def on_deploy_error(rt: Runtime, exc: PipelineOpsError) -> None:
    """A deploy that stopped with an error: the lock held too long by another run, or a failure."""
    ctx = rt.ctx
    if not ctx.environ.get(ENV_WEBHOOK, "").strip():
        return
    if isinstance(exc, WarehouseBusy):
        try:
            holder = rt.journal.holder()
        except Exception:  # the alert is best effort
            return
        if holder is None:
            return
        lock_held(
            environment=ctx.env_name,
            holder=f"deploy {holder.deploy_id} ({holder.holder})",
            acquired_at=holder.acquired_at,
            now=ctx.clock(),
            environ=ctx.environ,
            reporter=ctx.reporter,
            run_url=ctx.run_url,
        )
        return
    notify(
        "deploy-failed",
        environment=ctx.env_name,
        title=f"deploy failed: {exc.what}",
        detail=exc.fix,
        environ=ctx.environ,
        reporter=ctx.reporter,
        run_url=ctx.run_url,
    )
