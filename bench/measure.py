"""Timing and summary statistics shared by the benchmarks (medians and percentiles, never means)."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence

Say = Callable[[str], None]
_START = time.perf_counter()


def progress(name: str) -> Say:
    """A progress printer for one benchmark: ``[  12.3s] cutover: …`` on stderr."""

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - _START:7.1f}s] {name}: {message}", file=sys.stderr, flush=True)

    return say


def silent(message: str) -> None:
    """A progress printer that prints nothing (tests)."""


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ms(seconds: float) -> float:
    """Seconds → milliseconds, rounded for reports."""
    return round(seconds * 1000, 2)


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b > 0 else float("nan")


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn()`` took (wall clock)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
