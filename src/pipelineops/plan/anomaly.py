"""Row-count anomalies: each model's newest row count against its trailing history, judged robustly.

Pure: the command hands in the counts recorded in ``DEPLOY_ROW_COUNTS`` (oldest first) and the settings
from ``anomaly:`` in pipelineops.yml. The method is a robust z-score on the *change* from one recorded count
to the next: the expected next count is the previous count plus the median change of the trailing window,
and the spread is 1.4826 x the median absolute deviation (MAD) of those changes (the scale of a normal
distribution's standard deviation), never below ``floor_pct`` of the previous count nor one row. A table
that grows steadily therefore stays normal however long its history (its changes are alike), while a
sudden drop or spike of a growing table is caught (a level-based median would sit in the middle of the
growth and miss a drop back to an earlier level). A model with fewer than ``min_history`` earlier counts
is not judged, and says so.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Literal

from pipelineops.plan import gates

log = logging.getLogger(__name__)

Status = Literal["ok", "anomaly", "not judged"]
RUNBOOK = "sev2-anomaly.md"
MAD_SCALE = 1.4826  # MAD x this estimates the standard deviation of normally distributed changes
HEADERS = ("model", "observed", "expected range", "robust z", "history", "verdict")


@dataclass(frozen=True)
class Settings:
    """How one model is judged: ``window`` earlier counts, at least ``min_history`` of them, and
    ``threshold`` robust z-scores either side of the expected count."""

    window: int = 14
    min_history: int = 7
    threshold: float = 3.5
    floor_pct: float = 1.0
    skip: bool = False


@dataclass(frozen=True)
class Rules:
    """The defaults and the per-model overrides (keys ``schema.model`` or ``model``, lower case)."""

    default: Settings = field(default_factory=Settings)
    models: Mapping[str, Settings] = field(default_factory=dict)

    def for_model(self, model: str) -> Settings:
        key = model.lower()
        short = key.rsplit(".", 1)[-1]
        return self.models.get(key) or self.models.get(short) or self.default


def override(base: Settings, raw: Mapping[str, object]) -> Settings:
    """``base`` with the keys of one ``anomaly.models.<model>`` entry (already schema-validated)."""

    def number(key: str, current: float) -> float:
        value = raw.get(key, current)
        return float(value) if isinstance(value, int | float) else current

    return replace(
        base,
        window=int(number("window", base.window)),
        min_history=int(number("min_history", base.min_history)),
        threshold=number("threshold", base.threshold),
        floor_pct=number("floor_pct", base.floor_pct),
        skip=bool(raw.get("skip", base.skip)),
    )


def median_abs_deviation(values: Sequence[float]) -> tuple[float, float]:
    """(median, MAD) of ``values`` (not empty)."""
    centre = median(values)
    return centre, median(abs(v - centre) for v in values)


@dataclass(frozen=True)
class Verdict:
    model: str
    status: Status
    observed: int
    history: int  # earlier counts used (at most the window)
    low: int | None = None
    high: int | None = None
    expected: float | None = None
    z: float | None = None
    reason: str = ""

    @property
    def range_text(self) -> str:
        return "—" if self.low is None else f"{self.low:,}..{self.high:,}"

    def row(self) -> tuple[str, ...]:
        return (
            self.model,
            f"{self.observed:,}",
            self.range_text,
            "—" if self.z is None else f"{self.z:+.1f}",
            str(self.history),
            self.status,
        )


def judge(model: str, history: Sequence[int], observed: int, settings: Settings) -> Verdict:
    """``observed`` against the trailing ``settings.window`` counts of ``history`` (oldest first)."""
    if settings.skip:
        return Verdict(model, "not judged", observed, 0, reason="skipped in anomaly.models")
    window = list(history[-settings.window :]) if settings.window > 0 else []
    need = max(settings.min_history, 2)
    if len(window) < need:
        return Verdict(
            model,
            "not judged",
            observed,
            len(window),
            reason=f"not judged: {len(window)} earlier count{'' if len(window) == 1 else 's'}, "
            f"needs {need} (min_history)",
        )
    changes = [float(b - a) for a, b in itertools.pairwise(window)]
    step, mad = median_abs_deviation(changes)
    previous = window[-1]
    spread = max(MAD_SCALE * mad, abs(previous) * settings.floor_pct / 100.0, 1.0)
    expected = previous + step
    z = (observed - expected) / spread
    low = max(0, int(expected - settings.threshold * spread))
    high = int(expected + settings.threshold * spread)
    anomalous = abs(z) > settings.threshold
    if anomalous:
        kind = "drop" if observed < expected else "spike"
        reason = (
            f"{kind}: {observed:,} rows, expected {low:,}..{high:,} "
            f"(previous {previous:,}, robust z {z:+.1f}, threshold {settings.threshold:g}, "
            f"{len(window)} earlier counts)"
        )
    else:
        reason = f"{observed:,} rows within {low:,}..{high:,} ({len(window)} earlier counts)"
    return Verdict(
        model,
        "anomaly" if anomalous else "ok",
        observed,
        len(window),
        low=low,
        high=high,
        expected=expected,
        z=z,
        reason=reason,
    )


@dataclass(frozen=True)
class Count:
    """One recorded row count (a row of ``DEPLOY_ROW_COUNTS``)."""

    model: str
    rows: int
    at: str  # recorded_at, as text; ordering is the caller's (oldest first)
    deploy_id: str = ""


def series(counts: Sequence[Count]) -> dict[str, list[int]]:
    """Counts by model, in the order given (oldest first)."""
    out: dict[str, list[int]] = {}
    for c in counts:
        out.setdefault(c.model.lower(), []).append(c.rows)
    return out


def judge_newest(counts: Sequence[Count], rules: Rules) -> tuple[Verdict, ...]:
    """Each model's newest recorded count against the counts before it, by model name."""
    return tuple(
        judge(model, values[:-1], values[-1], rules.for_model(model))
        for model, values in sorted(series(counts).items())
    )


def judge_observed(counts: Sequence[Count], observed: Mapping[str, int], rules: Rules) -> tuple[Verdict, ...]:
    """Counts not yet recorded (a deploy's idle colour) against every recorded count of each model."""
    history = series(counts)
    return tuple(
        judge(model.lower(), history.get(model.lower(), []), n, rules.for_model(model))
        for model, n in sorted(observed.items())
    )


@dataclass(frozen=True)
class Summary:
    total: int
    anomalies: int
    not_judged: int

    @property
    def failed(self) -> bool:
        return self.anomalies > 0

    @property
    def title(self) -> str:
        if not self.total:
            return "no row count recorded yet (a deploy records them after it publishes)"
        judged = self.total - self.not_judged
        head = (
            f"{self.anomalies} of {judged} judged models anomalous"
            if self.anomalies
            else f"all {judged} judged models within their expected range"
        )
        if self.not_judged:
            head += f"; {self.not_judged} not judged (too little history)"
        return head

    def outputs(self) -> tuple[tuple[str, str], ...]:
        return (("anomaly-count", str(self.anomalies)), ("not-judged-count", str(self.not_judged)))


def summarise(verdicts: Sequence[Verdict]) -> Summary:
    return Summary(
        total=len(verdicts),
        anomalies=sum(1 for v in verdicts if v.status == "anomaly"),
        not_judged=sum(1 for v in verdicts if v.status == "not judged"),
    )


def gate_results(verdicts: Sequence[Verdict]) -> list[gates.GateResult]:
    """The ``checks.anomaly`` gate: an anomalous count fails the deploy; too little history passes, saying so."""
    out = []
    for v in verdicts:
        verdict: gates.Verdict = "fail" if v.status == "anomaly" else "pass"
        out.append(gates.GateResult("anomaly", v.model, verdict, v.reason))
    return out
