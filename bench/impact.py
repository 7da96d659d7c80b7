"""Benchmark ``impact``: column-aware slim CI against node-level slim CI on an additive change.

On the synthetic project of N models (``bench/synthetic.py``, the ``scale`` benchmark's generator) one
workspace and one local warehouse run, as subprocesses:

1. ``bluegreen-swap`` — the first deploy (it publishes the manifest slim-ci compares with);
2. one staging model gains a column that no model reads (the change ``scale`` measures on: its
   descendants are about 2% of the DAG), committed;
3. ``slim-ci --impact nodes`` (every ``state:modified+`` node builds) and ``slim-ci --impact columns``
   (only what the change can affect builds) of that commit, as two pull requests.

Reported: nodes built and wall seconds of each, their ratios, and the seconds the impact analysis itself
took (the PR compile, production's SQL, the lineage) inside the ``columns`` run.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.measure import Say, ratio, silent
from bench.results import BenchResult, Ratio, Table
from bench.scale import GIT, pipelineops, workspace

NAME = "impact"
TITLE = "Column-aware slim CI vs node-level slim CI on an additive change (local engine)"
SIZE = 1000


def additive_change(root: Path, name: str) -> Path:
    """Add a column to one staging model; its children select explicit columns, so nothing reads it."""
    path = root / "models" / "staging" / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    changed = text.replace("' as origin\n", "' as origin, 1 as added_flag\n")
    if changed == text:
        raise RuntimeError(f"{path}: the staging model's select list was not found")
    path.write_text(changed, encoding="utf-8")
    return path


def built(report: dict[str, Any]) -> int:
    counts = report.get("data", {}).get("counts", {})
    return int(counts.get("built", -1))


def measure_size(n: int, parent: Path, say: Say) -> dict[str, float]:
    project = synthetic.design(n)
    target, descendants = project.change_target()
    with tempfile.TemporaryDirectory(prefix=f"impact-{n}-", dir=parent) as tmp:
        root = workspace(Path(tmp), project)
        out: dict[str, float] = {"descendants": float(descendants)}
        out["first deploy s"], _ = pipelineops(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
        say(f"N={n}: first deploy {out['first deploy s']:.1f} s")
        subprocess.run([*GIT, "branch", "base"], cwd=root, check=True)
        additive_change(root / "dbt", target)
        subprocess.run([*GIT, "commit", "-qam", f"add a column to {target}"], cwd=root, check=True)
        for pr, mode in ((1, "nodes"), (2, "columns")):
            wall, report = pipelineops(
                root,
                "slim-ci",
                "--env",
                "dev",
                "--base-ref",
                "base",
                "--pr",
                str(pr),
                "--impact",
                mode,
                "--comment-file",
                str(root / f"c{pr}.md"),
            )
            out[f"{mode} s"] = wall
            out[f"{mode} built"] = float(built(report))
            out[f"{mode} selected"] = float(report.get("data", {}).get("counts", {}).get("selected", -1))
            seconds = (report.get("data", {}).get("impact") or {}).get("seconds")
            out[f"{mode} analysis s"] = float(seconds) if seconds is not None else 0.0
            say(f"N={n}: slim-ci --impact {mode} {wall:.1f} s, {out[f'{mode} built']:.0f} node(s) built")
    return out


def measure_impact(*, n: int = SIZE, workdir: Path | None = None, say: Say = silent) -> BenchResult:
    r = measure_size(n, workdir or Path(tempfile.gettempdir()), say)
    label = f"N={n}, additive"
    return BenchResult(
        name=NAME,
        title=TITLE,
        params={
            "N": n,
            "change": "one staging model gains a column nobody reads (~2% descendants)",
            "dbt target": "local_dev (DuckLake, threads: 1)",
        },
        tables=(
            Table(
                "slim-ci of the same commit, node-level then column-aware (wall seconds, dbt models built)",
                ("N", "descendants", "mode", "nodes built", "wall s", "impact analysis s"),
                tuple(
                    (
                        n,
                        int(r["descendants"]),
                        mode,
                        int(r[f"{mode} built"]),
                        round(r[f"{mode} s"], 2),
                        round(r[f"{mode} analysis s"], 2),
                    )
                    for mode in ("nodes", "columns")
                ),
            ),
        ),
        ratios=(
            Ratio(
                f"nodes/columns built ({label})",
                ratio(r["nodes built"], r["columns built"]),
                "models slim-ci builds with --impact nodes over --impact columns for a column nobody reads",
            ),
            Ratio(
                f"nodes/columns wall ({label})",
                ratio(r["nodes s"], r["columns s"]),
                "wall time of slim-ci --impact nodes over --impact columns (the latter includes the analysis)",
            ),
            Ratio(
                f"impact analysis seconds ({label})",
                round(r["columns analysis s"], 2),
                "seconds (not a ratio) the analysis adds: dbt compile of the candidates, production's SQL, lineage",
            ),
        ),
        checks={"columns builds fewer nodes": r["columns built"] < r["nodes built"]},
        notes=(
            f"First deploy at N={n}: {r['first deploy s']:.1f} s (not compared).",
            "One run of each mode, node-level first, on a shared machine: the wall ratio moves with its load; "
            "the nodes-built ratio does not.",
        ),
    )
