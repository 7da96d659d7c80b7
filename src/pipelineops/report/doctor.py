"""The report of ``pipelineops doctor``: one table row per check (status, what was found, the fix). Pure."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pipelineops.plan.doctor import Check, conclusion
from pipelineops.report.model import Section, StageReport

log = logging.getLogger(__name__)
MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def doctor_report(checks: Sequence[Check], *, env: str, duration: float) -> StageReport:
    counts = {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail")}
    verdict = conclusion(checks)
    title = (
        f"{counts['fail']} check(s) failed, {counts['warn']} warning(s)"
        if verdict == "failure"
        else f"all {len(checks)} checks pass" + (f" ({counts['warn']} warning(s))" if counts["warn"] else "")
    )
    rows = tuple((c.name, MARK[c.status], c.detail, c.fix) for c in checks)
    return StageReport(
        stage="doctor",
        conclusion=verdict,
        title=title,
        facts=(("environment", env), *((k, str(v)) for k, v in counts.items())),
        sections=(Section("Checks", ("check", "status", "found", "fix"), rows),),
        outputs=(("fail-count", str(counts["fail"])), ("warn-count", str(counts["warn"]))),
        duration_s=duration,
        data={
            "checks": [{"name": c.name, "status": c.status, "detail": c.detail, "fix": c.fix} for c in checks]
        },
    )
