"""The benchmark harness runs and returns well-formed results (no timing is asserted: see bench/README.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.cutover import measure_cutover
from bench.results import render_markdown, to_dict


def test_quick_cutover_benchmark_returns_well_formed_results(tmp_path: Path) -> None:
    result = measure_cutover(sizes=(5,), repeats=1, workdir=tmp_path)

    assert result.name == "cutover"
    (table,) = result.tables
    (row,) = table.rows
    assert len(row) == len(table.headers)
    cells = dict(zip(table.headers, row, strict=True))
    assert cells["N models"] == 5
    assert cells["duckdb cutover statements"] == 6  # CREATE SCHEMA + one view per model
    assert cells["snowflake cutover statements"] == 1  # one SWAP per consumer schema
    assert all(isinstance(cells[k], float) and cells[k] > 0 for k in ("median ms", "min ms", "max ms"))
    assert {r.name for r in result.ratios} == {
        "t(5)/t(5)",
        "duckdb statements (5)/(5)",
        "snowflake cutover statements (5)/(5)",
    }
    assert all(math.isfinite(r.value) and r.meaning for r in result.ratios)
    assert result.checks == {
        "snowflake cutover statements constant": True,
        "views read the last published colour": True,
    }
    data = json.loads(json.dumps(to_dict(result)))
    assert data["name"] == "cutover" and data["tables"][0]["rows"][0][0] == 5
    run = {"mode": "quick", "only": "cutover", "started_at": "-", "duration_s": 0, "machine": {"cores": 1}}
    assert "| 5 |" in render_markdown(run, (result,))
    assert not list(tmp_path.iterdir())  # the temp warehouse is removed
