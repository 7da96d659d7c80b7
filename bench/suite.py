"""The benchmarks ``python -m bench`` knows, with their full and ``--quick`` parameters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.cutover import REPEATS_FULL, REPEATS_QUICK, measure_cutover
from bench.impact import measure_impact
from bench.measure import progress
from bench.pipeline import measure_pipeline
from bench.readers import measure_readers
from bench.results import BenchResult
from bench.rollback import measure_rollback
from bench.scale import SIZES, measure_scale

Runner = Callable[[bool, Path], BenchResult]


def _cutover(quick: bool, tmp: Path) -> BenchResult:
    return measure_cutover(
        repeats=REPEATS_QUICK if quick else REPEATS_FULL, workdir=tmp, say=progress("cutover")
    )


def _readers(quick: bool, tmp: Path) -> BenchResult:
    return measure_readers(
        seconds=2.0 if quick else 8.0, rounds=1 if quick else 3, workdir=tmp, say=progress("readers")
    )


def _rollback(quick: bool, tmp: Path) -> BenchResult:
    return measure_rollback(repeats=2 if quick else 7, workdir=tmp, say=progress("rollback"))


def _pipeline(quick: bool, tmp: Path) -> BenchResult:
    if quick:
        return BenchResult(
            name="pipeline",
            title="Pipeline overhead: bluegreen-swap vs plain dbt build (reference project)",
            params={},
            tables=(),
            ratios=(),
            skipped="--quick (it runs dbt on the reference project several times; about 4 minutes)",
        )
    return measure_pipeline(rounds=3, workdir=tmp, say=progress("pipeline"))


def _scale(quick: bool, tmp: Path, sizes: tuple[int, ...] = ()) -> BenchResult:
    chosen = sizes or ((50,) if quick else SIZES)
    return measure_scale(sizes=chosen, workdir=tmp, say=progress("scale"))


def _impact(quick: bool, tmp: Path) -> BenchResult:
    return measure_impact(n=50 if quick else 1000, workdir=tmp, say=progress("impact"))


BENCHMARKS: dict[str, tuple[str, Runner]] = {
    "cutover": ("Cutover cost vs model count (local engine)", _cutover),
    "readers": ("Reader latency during cutovers (local engine)", _readers),
    "rollback": ("Rollback: re-publish vs time-travel restore (local engine)", _rollback),
    "pipeline": ("Pipeline overhead: bluegreen-swap vs plain dbt build (reference project)", _pipeline),
    "scale": ("Slim deploys and slim CI vs full builds at N models (local engine)", _scale),
    "impact": ("Column-aware slim CI vs node-level slim CI on an additive change (local engine)", _impact),
}
