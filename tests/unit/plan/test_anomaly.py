"""Row-count anomaly verdicts: planted drops and spikes are caught, growth curves are not, short histories
are not judged; property tests pin the robust statistics."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelineops.plan import anomaly
from pipelineops.plan.anomaly import Count, Rules, Settings

DEFAULT = Settings()


def growth(start: int, pct: float, n: int) -> list[int]:
    return [round(start * (1 + pct / 100) ** i) for i in range(n)]


def test_a_sudden_drop_of_a_growing_table_is_caught_with_its_reason() -> None:
    history = [1000 + 100 * i for i in range(14)]  # 1,000 … 2,300
    v = anomaly.judge("marts.fct_orders", history, 1150, DEFAULT)
    assert v.status == "anomaly"
    assert v.reason.startswith("drop: 1,150 rows, expected ")
    assert "previous 2,300" in v.reason and "14 earlier counts" in v.reason
    assert v.low is not None and v.high is not None and v.low <= 2400 <= v.high
    assert v.z is not None and v.z < -3.5
    assert v.history == 14


def test_a_spike_is_caught() -> None:
    history = [5000, 5010, 4990, 5005, 5020, 4995, 5000, 5015]
    v = anomaly.judge("marts.dim_customers", history, 10_000, DEFAULT)
    assert v.status == "anomaly" and v.reason.startswith("spike: 10,000 rows")


def test_a_table_emptied_is_caught() -> None:
    v = anomaly.judge("m", [800, 805, 810, 812, 815, 820, 826], 0, DEFAULT)
    assert v.status == "anomaly" and v.low is not None and v.low > 0


def test_normal_growth_curves_do_not_alarm() -> None:
    for history in (
        growth(1000, 5, 30),  # 5 % a day, compounding
        [1000 + 100 * i for i in range(40)],  # linear
        [10_000] * 20,  # never changes
    ):
        for end in range(8, len(history)):
            v = anomaly.judge("m", history[:end], history[end], DEFAULT)
            assert v.status == "ok", (history[:end], history[end], v.reason)
            assert "rows within" in v.reason


def test_too_little_history_is_not_judged_and_says_why() -> None:
    v = anomaly.judge("m", [1, 2, 3], 0, DEFAULT)
    assert v.status == "not judged"
    assert v.reason == "not judged: 3 earlier counts, needs 7 (min_history)"
    assert v.row() == ("m", "0", "—", "—", "3", "not judged")
    one = anomaly.judge("m", [5], 5, Settings(min_history=2))
    assert one.reason == "not judged: 1 earlier count, needs 2 (min_history)"


def test_a_skipped_model_and_a_zero_window_are_not_judged() -> None:
    assert anomaly.judge("m", [1] * 10, 0, Settings(skip=True)).reason == "skipped in anomaly.models"
    assert anomaly.judge("m", [1] * 10, 0, Settings(window=0)).status == "not judged"


def test_the_window_keeps_only_the_newest_counts() -> None:
    # an old regime (10 rows) outside the window does not make today's 10,000 look like a spike
    history = [10] * 20 + [10_000 + i for i in range(14)]
    v = anomaly.judge("m", history, 10_014, Settings(window=14))
    assert v.status == "ok" and v.history == 14


def test_row_shows_range_z_and_history() -> None:
    v = anomaly.judge("m", [100] * 7, 100, DEFAULT)
    assert v.row() == ("m", "100", "96..103", "+0.0", "7", "ok")


def test_rules_pick_the_per_model_override_by_full_or_short_name() -> None:
    strict = Settings(threshold=1.0)
    loose = Settings(threshold=9.0)
    rules = Rules(DEFAULT, {"marts.fct_orders": strict, "dim_customers": loose})
    assert rules.for_model("MARTS.FCT_ORDERS") is strict
    assert rules.for_model("marts.dim_customers") is loose
    assert rules.for_model("marts.other") is DEFAULT


def test_override_keeps_unset_keys_and_ignores_non_numbers() -> None:
    s = anomaly.override(DEFAULT, {"threshold": 5, "skip": True, "window": "x"})
    assert s == Settings(window=14, min_history=7, threshold=5.0, floor_pct=1.0, skip=True)
    assert anomaly.override(DEFAULT, {}) == DEFAULT


def _counts(model: str, values: list[int]) -> list[Count]:
    return [Count(model, n, f"2026-01-{i + 1:02d}", f"d{i}") for i, n in enumerate(values)]


def test_judge_newest_judges_each_models_last_count_and_summarises() -> None:
    steady = [100 + i for i in range(10)]
    counts = _counts("marts.a", steady) + _counts("MARTS.B", [*steady[:-1], 3]) + _counts("marts.c", [1, 2])
    verdicts = anomaly.judge_newest(counts, Rules())
    assert [(v.model, v.status) for v in verdicts] == [
        ("marts.a", "ok"),
        ("marts.b", "anomaly"),
        ("marts.c", "not judged"),
    ]
    summary = anomaly.summarise(verdicts)
    assert summary.failed
    assert summary.title == "1 of 2 judged models anomalous; 1 not judged (too little history)"
    assert summary.outputs() == (("anomaly-count", "1"), ("not-judged-count", "1"))


def test_summary_titles() -> None:
    assert anomaly.summarise(()).title.startswith("no row count recorded yet")
    ok = anomaly.summarise((anomaly.judge("m", [5] * 8, 5, DEFAULT),))
    assert not ok.failed and ok.title == "all 1 judged models within their expected range"


def test_judge_observed_and_the_gate() -> None:
    counts = _counts("marts.a", [100 + i for i in range(10)])
    verdicts = anomaly.judge_observed(counts, {"marts.a": 5, "marts.new": 7}, Rules())
    results = anomaly.gate_results(verdicts)
    assert [(r.gate, r.subject, r.verdict) for r in results] == [
        ("anomaly", "marts.a", "fail"),
        ("anomaly", "marts.new", "pass"),
    ]
    assert results[1].detail.startswith("not judged: 0 earlier counts")


def test_median_abs_deviation() -> None:
    assert anomaly.median_abs_deviation([1.0, 2.0, 3.0, 4.0, 100.0]) == (3.0, 1.0)


# --- properties of the robust statistics -----------------------------------------------------------

counts_st = st.lists(st.integers(min_value=0, max_value=10**9), min_size=7, max_size=40)


@settings(max_examples=200, deadline=None)
@given(counts_st, st.integers(min_value=0, max_value=10**9))
def test_the_verdict_is_anomaly_exactly_when_outside_the_expected_range(
    history: list[int], observed: int
) -> None:
    v = anomaly.judge("m", history, observed, DEFAULT)
    assert v.status in ("ok", "anomaly")
    assert v.low is not None and v.high is not None and v.z is not None
    assert 0 <= v.low <= v.high
    if v.status == "ok":
        assert v.low <= observed <= v.high + 1
    assert (v.status == "anomaly") == (abs(v.z) > DEFAULT.threshold)
    assert math.isfinite(v.z)


@settings(max_examples=200, deadline=None)
@given(counts_st, st.integers(min_value=0, max_value=10**6))
def test_the_verdict_does_not_depend_on_a_constant_shift_of_the_table(history: list[int], shift: int) -> None:
    """A robust z on changes: adding the same rows to every count moves nothing (floor aside, so floor 0)."""
    s = Settings(floor_pct=0.0)
    observed = history[-1] + (history[-1] - history[-2])
    a = anomaly.judge("m", history, observed, s)
    b = anomaly.judge("m", [n + shift for n in history], observed + shift, s)
    assert a.status == b.status
    assert a.z is not None and b.z is not None and math.isclose(a.z, b.z, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=50))
def test_median_and_mad_are_robust_and_bounded(values: list[float]) -> None:
    centre, mad = anomaly.median_abs_deviation(values)
    assert min(values) <= centre <= max(values)
    assert 0 <= mad <= max(values) - min(values)
    # one wild outlier moves neither by more than the spread of the others
    if len(values) >= 5:
        c2, _ = anomaly.median_abs_deviation([*values, 1e18])
        ordered = sorted(values)
        assert ordered[0] <= c2 <= ordered[-1]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=100, max_value=10**7),
    st.floats(min_value=0.0, max_value=10.0),
    st.integers(min_value=8, max_value=40),
)
def test_steady_growth_never_alarms(start: int, pct: float, n: int) -> None:
    history = growth(start, pct, n + 1)
    assert anomaly.judge("m", history[:-1], history[-1], DEFAULT).status == "ok"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1000, max_value=10**7),
    st.floats(min_value=0.0, max_value=5.0),
    st.sampled_from([0.0, 0.3, 2.0, 5.0]),
)
def test_a_planted_halving_or_multiplying_of_a_growing_table_alarms(
    start: int, pct: float, factor: float
) -> None:
    history = growth(start, pct, 15)
    assert anomaly.judge("m", history, round(history[-1] * factor), DEFAULT).status == "anomaly"
