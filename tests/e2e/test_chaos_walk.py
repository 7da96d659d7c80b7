"""A short seeded chaos walk (``tests/chaos/walk.py``): deploys, backfills, rollbacks and restores with
kills, concurrent starts, a pause before the lock and re-runs, invariants checked after every step.
``make chaos`` runs the long walk (300+ operations) and writes ``bench/results/chaos.json``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.chaos.walk import walk, workspace

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("chaos-walk")]


def test_a_short_chaos_walk_keeps_every_invariant(tmp_path: Path) -> None:
    seed = int(os.environ.get("PIPELINEOPS_CHAOS_SEED", "7"))
    log: list[str] = []
    counts = walk(workspace(tmp_path), seed=seed, operations=10, log=log)
    assert counts.invariant_checks >= 3
    assert counts.violations == [], "\n".join([*counts.violations, "-- walk --", *log])
