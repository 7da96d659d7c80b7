"""On-call alerts: what happened, how bad (the SEV level of ``runbooks/``), where, and what to read. Pure.

The command layer (``commands.alerts``) posts ``payload(alert)`` to a Slack-compatible incoming webhook
(Slack, Mattermost, Rocket.Chat and others accept ``text`` + ``blocks``), when one is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

Event = Literal[
    "deploy-failed", "deploy-blocked", "rollback-done", "freshness-breach", "anomaly", "lock-held"
]
Severity = Literal["SEV1", "SEV2", "SEV3"]
RUNBOOK_BASE = "https://github.com/pipelineops/actions/blob/main/runbooks/"
ALERTS_RUNBOOK = "alerts.md"

#: Each event's severity and runbook (the incident table of runbooks/README.md).
EVENTS: Mapping[Event, tuple[Severity, str]] = {
    "deploy-failed": ("SEV2", "sev2-deploy-blocked.md"),
    "deploy-blocked": ("SEV2", "sev2-deploy-blocked.md"),
    "rollback-done": ("SEV1", "sev1-production-broken.md"),
    "freshness-breach": ("SEV3", "sev3-freshness.md"),
    "anomaly": ("SEV2", "sev2-anomaly.md"),
    "lock-held": ("SEV2", "deploy-lock.md"),
}
_ICON: Mapping[Severity, str] = {"SEV1": ":rotating_light:", "SEV2": ":warning:", "SEV3": ":hourglass:"}


@dataclass(frozen=True)
class Alert:
    event: Event
    severity: Severity
    environment: str
    title: str
    detail: str
    run_url: str
    runbook_url: str


def make(
    event: Event,
    *,
    environment: str,
    title: str,
    detail: str = "",
    run_url: str = "",
    runbook_base: str = RUNBOOK_BASE,
) -> Alert:
    severity, runbook = EVENTS[event]
    base = runbook_base if runbook_base.endswith("/") else runbook_base + "/"
    return Alert(event, severity, environment, title, detail[:1500], run_url, base + runbook)


def text(alert: Alert) -> str:
    """One plain-text message (the notification preview and the fallback of every client)."""
    parts = [f"[{alert.severity}] {alert.environment}: {alert.title}"]
    if alert.detail:
        parts.append(alert.detail)
    if alert.run_url:
        parts.append(f"Run: {alert.run_url}")
    parts.append(f"Runbook: {alert.runbook_url}")
    return "\n".join(parts)


def payload(alert: Alert) -> dict[str, object]:
    """The JSON body of the webhook call."""
    links = [f"<{alert.runbook_url}|runbook>"]
    if alert.run_url:
        links.insert(0, f"<{alert.run_url}|run>")
    body = f"{_ICON[alert.severity]} *{alert.severity}* `{alert.environment}` {alert.title}"
    if alert.detail:
        body += f"\n{alert.detail}"
    return {
        "text": text(alert),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"pipelineops {alert.event} · " + " · ".join(links)},
                ],
            },
        ],
    }


def lock_held_too_long(acquired_minutes_ago: float, limit_minutes: int) -> bool:
    return acquired_minutes_ago > limit_minutes
