"""Source freshness against the SLAs: dbt's ``sources.json`` → one row per source, verdicts and a summary.

Pure: the command runs ``dbt source freshness`` and hands in the parsed ``sources.json``, the lines of dbt's
JSON file log and the run's ``manifest.json``. dbt 1.11 leaves a source whose freshness query failed
(``runtime error``) out of ``sources.json``; the log's ``LogFreshnessResult``/``RunResultError`` events
name it and its error, and the manifest gives its thresholds. Each source is
judged by ``plan.gates.freshness`` (the same verdict a deploy's freshness gate gives), then against the
``--fail-on`` level: ``error`` (default) fails the run for sources past ``error_after``; ``warn`` also for
sources past ``warn_after``. A freshness query that failed (dbt status ``runtime error``) always fails.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pipelineops.errors import UserError
from pipelineops.plan import gates

log = logging.getLogger(__name__)

FailOn = Literal["warn", "error"]
FAIL_ON: tuple[FailOn, ...] = ("warn", "error")
RUNBOOK = "sev3-freshness.md"
SELECT_RE = re.compile(r"[A-Za-z0-9_.:+*/ -]+")
PERIOD_HOURS: Mapping[str, float] = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}
PERIOD_UNITS: Mapping[str, str] = {"minute": "min", "hour": "h", "day": "d"}
HEADERS = ("source", "status", "age (h)", "warn after", "error after", "SLA")


def parse_select(raw: str | None) -> tuple[str, ...]:
    """``--select`` as dbt selector words; only plain selectors, and no word may look like an option."""
    if raw is None or not raw.strip():
        return ()
    words = tuple(raw.split())
    if not SELECT_RE.fullmatch(raw.strip()) or any(w.startswith("-") for w in words):
        raise UserError(
            f"--select {raw!r} is not a plain dbt selector",
            why="only letters, digits, `_ . : + * / -` and spaces are accepted, and no word may start "
            "with `-`, so the value cannot add options to the dbt command",
            fix="name sources the dbt way, e.g. --select 'source:carrier.shipments source:shop.orders' "
            "(or --select 'source:carrier+')",
            runbook=RUNBOOK,
        )
    return words


def dbt_args(select: Sequence[str]) -> tuple[str, ...]:
    """The arguments of the one dbt command the stage runs (and prints with ``--dry-run``)."""
    return (
        "source",
        "freshness",
        *(("--select", *select) if select else ()),
        "--log-format-file",
        "json",  # the file log names the sources whose query failed; the console stays readable
    )


@dataclass(frozen=True)
class Threshold:
    """A ``warn_after``/``error_after`` of a source's freshness criteria; unset when dbt has none."""

    count: int | None
    period: str | None  # dbt: minute | hour | day

    @property
    def hours(self) -> float | None:
        factor = PERIOD_HOURS.get(self.period or "")
        if self.count is None or factor is None:
            return None
        return self.count * factor

    def render(self) -> str:
        if self.count is None or self.period is None:
            return "—"
        unit = PERIOD_UNITS.get(self.period, self.period)
        text = f"{self.count} {unit}"
        hours = self.hours
        if self.period == "day" and hours is not None:
            text += f" = {hours:g} h"
        return text


NO_THRESHOLD = Threshold(None, None)


@dataclass(frozen=True)
class SourceFreshness:
    """One result of ``sources.json``: the outcome the gates judge, plus what the report shows."""

    outcome: gates.FreshnessOutcome
    max_loaded_at: str
    warn_after: Threshold
    error_after: Threshold

    @property
    def name(self) -> str:
        """``source.<project>.carrier.shipments`` → ``carrier.shipments``."""
        parts = self.outcome.unique_id.split(".")
        return ".".join(parts[2:]) if len(parts) > 2 and parts[0] == "source" else self.outcome.unique_id

    @property
    def age_hours(self) -> float | None:
        """Hours since the last load; unknown when the freshness query failed."""
        if self.outcome.status == "runtime error":
            return None
        return self.outcome.age_s / 3600


def _threshold(criteria: Mapping[str, object], key: str) -> Threshold:
    raw = criteria.get(key)
    if not isinstance(raw, Mapping):
        return NO_THRESHOLD
    count, period = raw.get("count"), raw.get("period")
    return Threshold(
        count if isinstance(count, int) and not isinstance(count, bool) else None,
        period if isinstance(period, str) else None,
    )


def _criteria(node: object) -> tuple[Threshold, Threshold]:
    crit = node if isinstance(node, Mapping) else {}
    return _threshold(crit, "warn_after"), _threshold(crit, "error_after")


def thresholds(manifest: Mapping[str, object]) -> dict[str, tuple[Threshold, Threshold]]:
    """(warn_after, error_after) of every source in a ``manifest.json``, by unique id."""
    sources = manifest.get("sources")
    if not isinstance(sources, Mapping):
        return {}
    return {
        str(uid): _criteria(node.get("freshness"))
        for uid, node in sources.items()
        if isinstance(node, Mapping)
    }


def _short(message: str) -> str:
    """dbt's multi-line runtime error → its first informative line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Runtime Error"):
        lines = lines[1:]
    return lines[0] if lines else ""


def runtime_errors(log_lines: Iterable[str]) -> dict[str, str]:
    """Sources whose freshness query failed, with dbt's error, from the JSON lines of ``dbt.log``."""
    failed: dict[str, str] = {}
    messages: dict[str, str] = {}
    for line in log_lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, Mapping):
            continue
        info, data = event.get("info"), event.get("data")
        if not isinstance(info, Mapping) or not isinstance(data, Mapping):
            continue
        node = data.get("node_info")
        uid = node.get("unique_id") if isinstance(node, Mapping) else None
        if not isinstance(uid, str):
            continue
        name = info.get("name")
        if name == "LogFreshnessResult" and data.get("status") == "runtime error":
            failed[uid] = ""
        elif name == "RunResultError":
            messages[uid] = _short(str(data.get("msg") or ""))
    return {uid: messages.get(uid, "") for uid in failed}


def parse_sources(
    data: Mapping[str, object],
    *,
    failed: Mapping[str, str] | None = None,
    manifest_thresholds: Mapping[str, tuple[Threshold, Threshold]] | None = None,
) -> tuple[SourceFreshness, ...]:
    """The results of ``sources.json`` (dbt sources schema v3), plus the ``failed`` queries it left out
    (with their thresholds from the manifest), sorted by unique id."""
    results = data.get("results")
    out: dict[str, SourceFreshness] = {}
    for r in results if isinstance(results, list) else []:
        if not isinstance(r, Mapping):
            continue
        age = r.get("max_loaded_at_time_ago_in_s")
        status = str(r.get("status") or "")
        error = r.get("error")  # set by dbt only when the freshness query failed
        warn_after, error_after = _criteria(r.get("criteria"))
        uid = str(r.get("unique_id"))
        out[uid] = SourceFreshness(
            outcome=gates.FreshnessOutcome(
                uid,
                status,
                float(age) if isinstance(age, int | float) and not isinstance(age, bool) else 0.0,
                error=str(error) if error else "",
            ),
            max_loaded_at=str(r.get("max_loaded_at") or ""),
            warn_after=warn_after,
            error_after=error_after,
        )
    known = manifest_thresholds or {}
    for uid, message in (failed or {}).items():
        if uid not in out:
            warn_after, error_after = known.get(uid, (NO_THRESHOLD, NO_THRESHOLD))
            out[uid] = SourceFreshness(
                gates.FreshnessOutcome(uid, "runtime error", 0.0, error=message),
                max_loaded_at="",
                warn_after=warn_after,
                error_after=error_after,
            )
    return tuple(out[uid] for uid in sorted(out))


def fails_run(verdict: gates.Verdict, fail_on: FailOn) -> bool:
    """At or beyond the ``--fail-on`` level (a failed query is a ``fail`` verdict, so it always fails)."""
    return verdict == "fail" or (fail_on == "warn" and verdict == "warn")


@dataclass(frozen=True)
class Judged:
    source: SourceFreshness
    verdict: gates.Verdict
    fails: bool

    @property
    def sla(self) -> str:
        o = self.source.outcome
        if o.status == "runtime error":
            return f"query failed: {o.error}" if o.error else "query failed"
        if o.status == "error":
            return f"late: past error_after ({self.source.error_after.render()})"
        if o.status == "warn":
            return f"late: past warn_after ({self.source.warn_after.render()})"
        return "on time"

    def row(self) -> tuple[str, ...]:
        age = self.source.age_hours
        return (
            self.source.name,
            self.source.outcome.status,
            "—" if age is None else f"{age:.1f}",
            self.source.warn_after.render(),
            self.source.error_after.render(),
            self.sla,
        )


def judge(sources: Sequence[SourceFreshness], fail_on: FailOn) -> tuple[Judged, ...]:
    """Each source's verdict (``plan.gates.freshness``) and whether it fails the run at ``fail_on``."""
    verdicts = {g.subject: g.verdict for g in gates.freshness([s.outcome for s in sources])}
    return tuple(
        Judged(s, verdicts[s.outcome.unique_id], fails_run(verdicts[s.outcome.unique_id], fail_on))
        for s in sources
    )


@dataclass(frozen=True)
class Summary:
    total: int
    late: int  # past warn_after or error_after
    errors: int  # past error_after, or the query failed: these fail the run whatever --fail-on
    failed_queries: int  # the freshness query itself failed (dbt status runtime error)
    failing: int  # at or beyond --fail-on
    stalest: str  # the source with the oldest last load ("" when no age is known)
    stalest_hours: float | None
    fail_on: FailOn

    @property
    def failed(self) -> bool:
        return self.failing > 0

    @property
    def title(self) -> str:
        if not self.total:
            return "no source has a freshness check"
        if self.late:
            head = f"{self.late} of {self.total} sources late"
        elif self.failed_queries:
            head = f"{self.total} source{'' if self.total == 1 else 's'} checked"
        else:
            head = f"all {self.total} sources on time"
        if self.failed_queries:
            head += f", {self.failed_queries} freshness {'query' if self.failed_queries == 1 else 'queries'} failed"
        if self.stalest_hours is not None:
            head += f"; stalest: {self.stalest} at {self.stalest_hours:.1f} h"
        if self.failed:
            head += f" (fails at --fail-on {self.fail_on})"
        return head

    def outputs(self) -> tuple[tuple[str, str], ...]:
        hours = "" if self.stalest_hours is None else f"{self.stalest_hours:.1f}"
        return (("late-count", str(self.late)), ("error-count", str(self.errors)), ("stalest-hours", hours))


def summarise(judged: Sequence[Judged], fail_on: FailOn) -> Summary:
    aged: list[tuple[float, str]] = []
    for j in judged:
        age = j.source.age_hours
        if age is not None:
            aged.append((age, j.source.name))
    stalest = max(aged, default=None)
    return Summary(
        total=len(judged),
        late=sum(1 for j in judged if j.source.outcome.status in ("warn", "error")),
        errors=sum(1 for j in judged if j.verdict == "fail"),
        failed_queries=sum(1 for j in judged if j.source.outcome.status == "runtime error"),
        failing=sum(1 for j in judged if j.fails),
        stalest=stalest[1] if stalest else "",
        stalest_hours=stalest[0] if stalest else None,
        fail_on=fail_on,
    )
