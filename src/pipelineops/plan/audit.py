"""The four delivery numbers (DORA) of one environment, from its DEPLOY_STATE journal. Pure.

- **deploys per day**: deploys that published (a successful cutover of kind ``deploy``) in the window,
  divided by the window's days;
- **lead time**: commit time → publish, the median over the window's deploys whose commit time is known
  (recorded in ``DEPLOY_COMMITS`` by each deploy after it publishes);
- **change failure rate**: of the deploys that reached a verdict in the window (published, or stopped by a
  pre-cutover gate), the share that failed: later taken off production (a rollback, or the automatic
  re-publish after a failed smoke/grant check) or blocked by a gate;
- **time to restore**: for each failed publish, the time from its publish to the publication that took it
  off production; the median.

The same definitions are in the dbt package ``packages/pipelineops_audit`` (models over ``DEPLOY_STATE``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from pipelineops.errors import UserError
from pipelineops.plan import history

log = logging.getLogger(__name__)

GATE_FAILED = "pre-cutover gate failed"  # the error of a deploy's finish row when a gate stopped it
_SINCE = re.compile(r"([1-9][0-9]{0,3})([hdw])")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


def parse_since(raw: str) -> timedelta:
    """``30d``, ``12h``, ``2w`` → a positive window."""
    m = _SINCE.fullmatch(raw.strip())
    if not m:
        raise UserError(
            f"--since {raw!r} is not a duration",
            fix="write a number and a unit: h (hours), d (days) or w (weeks), e.g. --since 30d",
        )
    return timedelta(hours=int(m.group(1)) * _UNIT_HOURS[m.group(2)])


def as_time(value: object) -> datetime | None:
    """A journal timestamp (a datetime, or ISO text) → datetime; anything else → None."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Delivery:
    """The four numbers, with what they were computed from."""

    since: timedelta
    deploys: int
    per_day: float
    lead_time_h: float | None
    lead_samples: int
    attempts: int  # deploys that published or were blocked by a gate
    failures: int
    failure_rate: float | None
    restore_h: float | None
    restores: int
    daily: tuple[tuple[date, int], ...]  # deploys per calendar day (UTC), every day of the window

    def facts(self) -> tuple[tuple[str, str], ...]:
        days = self.since.total_seconds() / 86400
        return (
            ("deploys per day", f"{self.per_day:.2f} ({self.deploys} in {days:g} d)"),
            (
                "lead time (commit → publish)",
                "unknown (no commit time recorded)"
                if self.lead_time_h is None
                else f"{self.lead_time_h:.1f} h (median of {self.lead_samples})",
            ),
            (
                "change failure rate",
                "no deploy yet"
                if self.failure_rate is None
                else f"{self.failure_rate:.0%} ({self.failures} of {self.attempts})",
            ),
            (
                "time to restore",
                "nothing to restore"
                if self.restore_h is None
                else f"{self.restore_h:.2f} h (median of {self.restores})",
            ),
        )


def _at(row: Mapping[str, object]) -> datetime | None:
    return as_time(row.get("finished_at")) or as_time(row.get("started_at"))


def blocked(rows: Sequence[Mapping[str, object]]) -> dict[str, datetime]:
    """Deploys stopped by a failing pre-cutover gate (their last finish row), with when."""
    out: dict[str, datetime] = {}
    for row in rows:
        if row.get("kind") == "deploy" and row.get("step") == history.FINISH:
            at = _at(row)
            if row.get("status") == "failed" and str(row.get("error") or "") == GATE_FAILED and at:
                out[str(row.get("deploy_id"))] = at
            else:
                out.pop(str(row.get("deploy_id")), None)  # a re-run of the same id that finished
    return out


def delivery(
    rows: Sequence[Mapping[str, object]],
    *,
    now: datetime,
    since: timedelta,
    committed: Mapping[str, datetime] | None = None,
) -> Delivery:
    """The numbers over ``(now - since, now]`` from the journal ``rows`` (oldest first)."""
    start = now - since
    pubs = history.publications(rows)
    removed = history.lineage(rows).removed
    deploys = [(p, t) for p in pubs if p.kind == "deploy" and (t := as_time(p.at)) and start < t <= now]
    lead = []
    for p, t in deploys:
        c = (committed or {}).get(p.deploy_id)
        if c is not None and c <= t:
            lead.append((t - c).total_seconds() / 3600)
    stopped = {d: t for d, t in blocked(rows).items() if start < t <= now}
    failed = [(p, t) for p, t in deploys if p.deploy_id in removed]
    restore = []
    for p, t0 in failed:
        by = removed[p.deploy_id]
        t1 = next((as_time(q.at) for q in pubs if q.deploy_id == by and q.index > p.index), None)
        if t1 is not None:  # the publication that took it off production, when its time is known
            restore.append((t1 - t0).total_seconds() / 3600)
    attempts = len(deploys) + len(stopped)
    failures = len(failed) + len(stopped)
    days = max(since.total_seconds() / 86400, 1 / 24)
    first = start.date()
    per_date: dict[date, int] = {}
    for _, t in deploys:
        per_date[t.date()] = per_date.get(t.date(), 0) + 1
    span = (now.date() - first).days
    daily = tuple(
        (first + timedelta(days=i), per_date.get(first + timedelta(days=i), 0)) for i in range(span + 1)
    )
    return Delivery(
        since=since,
        deploys=len(deploys),
        per_day=len(deploys) / days,
        lead_time_h=median(lead) if lead else None,
        lead_samples=len(lead),
        attempts=attempts,
        failures=failures,
        failure_rate=failures / attempts if attempts else None,
        restore_h=median(restore) if restore else None,
        restores=len(restore),
        daily=daily,
    )
