"""The ``scale`` benchmark's pieces that need no dbt: the synthetic project, the Snowflake statement count,
and the results file that keeps the entries of benchmarks not run."""

from __future__ import annotations

import json
from pathlib import Path

from bench import synthetic
from bench.results import BenchResult, Ratio, Table, write
from bench.scale import carry_statements


def test_the_synthetic_project_is_deterministic_layered_and_changes_about_two_percent(tmp_path: Path) -> None:
    one, two = synthetic.design(200), synthetic.design(200)
    assert one == two
    assert len(one.models) == 200 and len(one.seeds) == 4
    assert [synthetic.count(one.models, f) for f in ("staging", "intermediate", "marts")] == [40, 112, 48]
    assert any(m.incremental for m in one.models)
    assert max(len(m.parents) for m in one.models) >= 3  # fan-in
    assert max(len(v) for v in one.children().values()) >= 3  # fan-out
    name, descendants = synthetic.design(1000).change_target()
    assert name.startswith("stg_") and descendants == 20
    synthetic.write(one, tmp_path / "a")
    synthetic.write(two, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 1 + 4 + 200
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    changed = synthetic.change(
        tmp_path / "a", name if name in {m.name for m in one.models} else "stg_d00_000"
    )
    assert "+ 1 as amount" in changed.read_text()


def test_snowflake_carry_over_statements_grow_with_the_unmodified_tables() -> None:
    tables, slim, full = carry_statements(synthetic.design(1000))
    # full: CREATE SCHEMA MARTS__GREEN + a CLONE of each of the 41 live incremental tables; slim adds
    # INTERMEDIATE__GREEN and a CLONE of each other unmodified table (staging views are re-created by dbt)
    assert (tables, slim, full) == (780, 782, 42)


def _result(name: str, value: float) -> BenchResult:
    return BenchResult(
        name, name.title(), {"n": 1}, (Table("t", ("a",), ((1,),)),), (Ratio("r", value, "m"),)
    )


def test_results_merge_keeps_benchmarks_not_run(tmp_path: Path) -> None:
    run = {"mode": "full", "only": None, "started_at": "t1", "duration_s": 1, "machine": {"cores": 2}}
    write(tmp_path, run, (_result("cutover", 1.0), _result("scale", 2.0)))
    write(tmp_path, {**run, "only": "scale", "started_at": "t2"}, (_result("scale", 3.0),))
    data = json.loads((tmp_path / "latest.json").read_text())
    assert [(b["name"], b["ratios"][0]["value"]) for b in data["benchmarks"]] == [
        ("cutover", 1.0),
        ("scale", 3.0),
    ]
    note = "Measured in the run started t1 (full mode, git sha ?, load average at start ?)."
    assert data["benchmarks"][0]["notes"] == [note]
    write(tmp_path, {**run, "started_at": "t3"}, (_result("readers", 4.0),))
    data = json.loads((tmp_path / "latest.json").read_text())
    assert [b["name"] for b in data["benchmarks"]] == ["cutover", "scale", "readers"]
    assert data["benchmarks"][0]["notes"] == [note]  # not twice
    assert "| readers | r | 4.00 | m |" in (tmp_path / "latest.md").read_text()
