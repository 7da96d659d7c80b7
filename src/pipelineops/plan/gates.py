"""Pre-cutover and smoke gates: pure evaluation of facts gathered from dbt and the warehouse.

Each gate returns ``GateResult`` rows; any ``fail`` stops the deploy before anything is published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class GateResult:
    gate: str
    subject: str
    verdict: Verdict
    detail: str


@dataclass(frozen=True)
class TestOutcome:
    unique_id: str
    status: str  # dbt: pass | warn | fail | error | skipped | success
    failures: int | None
    message: str


def dbt_tests(outcomes: Sequence[TestOutcome]) -> list[GateResult]:
    """A failing or erroring node fails; a warn-severity test warns (it did not stop dbt either)."""
    out: list[GateResult] = []
    for o in outcomes:
        if o.status in ("fail", "error"):
            n = f" ({o.failures} failing rows)" if o.failures else ""
            out.append(GateResult("dbt", o.unique_id, "fail", (o.message or o.status) + n))
        elif o.status == "warn":
            out.append(GateResult("dbt", o.unique_id, "warn", f"{o.failures or 0} rows warned"))
    if not out:
        out.append(GateResult("dbt", "all nodes", "pass", f"{len(outcomes)} nodes succeeded"))
    return out


def row_count_delta(
    live: Mapping[str, int], idle: Mapping[str, int], *, warn_pct: float, fail_pct: float
) -> list[GateResult]:
    """Change of each relation's row count against the live colour (new relations pass)."""
    out: list[GateResult] = []
    for name in sorted(idle):
        new = idle[name]
        if name not in live:
            out.append(GateResult("row-count", name, "pass", f"new relation, {new} rows"))
            continue
        old = live[name]
        change = 0.0 if old == new else (100.0 if old == 0 else (new - old) * 100.0 / old)
        pct = abs(change)
        verdict: Verdict = "fail" if pct > fail_pct else ("warn" if pct > warn_pct else "pass")
        out.append(GateResult("row-count", name, verdict, f"{old} → {new} rows ({change:+.1f}% vs live)"))
    return out


def non_empty(idle: Mapping[str, int]) -> list[GateResult]:
    return [
        GateResult("non-empty", name, "fail" if n == 0 else "pass", f"{n} rows")
        for name, n in sorted(idle.items())
    ]


def contract(
    consumed: Mapping[str, Sequence[str]],
    live_columns: Mapping[str, Mapping[str, str]],
    idle_columns: Mapping[str, Mapping[str, str]],
) -> list[GateResult]:
    """A column an exposure consumes must still exist with the same type as in the live colour."""
    out: list[GateResult] = []
    for model in sorted(consumed):
        idle = {k.lower(): v.upper() for k, v in idle_columns.get(model, {}).items()}
        live = {k.lower(): v.upper() for k, v in live_columns.get(model, {}).items()}
        problems = []
        for col in consumed[model]:
            c = col.lower()
            if c not in idle:
                problems.append(f"{c} dropped")
            elif c in live and live[c] != idle[c]:
                problems.append(f"{c} retyped {live[c]} → {idle[c]}")
        if problems:
            out.append(GateResult("contract", model, "fail", "; ".join(problems)))
        else:
            out.append(
                GateResult("contract", model, "pass", f"{len(consumed[model])} consumed columns intact")
            )
    return out


@dataclass(frozen=True)
class FreshnessOutcome:
    unique_id: str
    status: str  # dbt source freshness: pass | warn | error | runtime error
    age_s: float
    error: str = ""  # dbt's message when the freshness query itself failed (status runtime error)


def freshness_verdict(status: str) -> Verdict:
    """dbt's freshness status as a verdict: error or a failed query fails, warn warns, anything else passes."""
    if status in ("error", "runtime error"):
        return "fail"
    return "warn" if status == "warn" else "pass"


def freshness(outcomes: Sequence[FreshnessOutcome]) -> list[GateResult]:
    """A source past its error threshold (or whose freshness query failed) fails; past warn warns."""
    out = []
    for o in sorted(outcomes, key=lambda o: o.unique_id):
        verdict = freshness_verdict(o.status)
        if o.error:
            detail = f"{o.status}: {o.error}"
        else:
            hours = f"last load {o.age_s / 3600:.1f} h ago"
            detail = f"{o.status}: {hours}" if verdict == "fail" else hours
        out.append(GateResult("freshness", o.unique_id, verdict, detail))
    return out


def failed(results: Sequence[GateResult]) -> list[GateResult]:
    return [r for r in results if r.verdict == "fail"]
