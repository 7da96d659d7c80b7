"""Benchmark 4: what ``pipelineops bluegreen-swap`` costs on top of a plain ``dbt build``.

Each round makes a temp workspace of the reference project (``dbt/``: a copy, profiles, a config, a git
repo) and runs, side by side, as subprocesses:

- deploy 1: ``pipelineops bluegreen-swap`` into an empty warehouse (first deploy, builds BLUE);
- deploy 2: ``pipelineops bluegreen-swap`` again (builds GREEN while BLUE is live, then flips);
- plain 1: ``dbt build --vars {pipelineops_colour: BLUE}`` into a second, empty warehouse;
- plain 2: the same ``dbt build`` again over it (a rebuild in place, as a team without blue/green does).

The order alternates between rounds. The deploy's own breakdown comes from its report
(``--json``: ``data.steps``); what is left of its wall time is start-up and planning (a ``dbt parse``,
catalog reads, the lock and the journal).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from bench.machine import REPO
from bench.measure import Say, median, ratio, silent
from bench.results import BenchResult, Ratio, Table
from pipelineops.engines.duckdb import LocalEngine, local_paths
from pipelineops.plan.bluegreen_swap import dbt_vars

NAME = "pipeline"
SCHEMAS = "STAGING, INTERMEDIATE, MARTS"
CONFIG = f"""\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [{SCHEMAS}]
environments:
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: warehouse
"""


def make_workspace(parent: Path) -> Path:
    root = parent / "ws"
    shutil.copytree(REPO / "dbt", root / "dbt", ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    (root / "profiles").mkdir()
    shutil.copy(REPO / "dbt" / "profiles.yml", root / "profiles" / "profiles.yml")
    (root / "pipelineops.yml").write_text(CONFIG, encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run([*git, *args], cwd=root, check=True)
    return root


def _environ() -> dict[str, str]:
    """This process's environment without CI or pipelineops settings that would change what runs."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PIPELINEOPS_", "DBT_"))}


def _bin(name: str) -> list[str]:
    here = Path(sys.executable).parent / name
    return [str(here)] if here.is_file() else [sys.executable, "-m", f"{name}.cli"]


def deploy(root: Path, deploy_id: str) -> tuple[float, list[tuple[str, float]]]:
    """Wall seconds of one ``pipelineops bluegreen-swap`` and its steps (name, seconds)."""
    cmd = [*_bin("pipelineops"), "bluegreen-swap", "--env", "prod", "--deploy-id", deploy_id, "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "--config", str(root / "pipelineops.yml")],
        cwd=root,
        env=_environ(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"deploy {deploy_id} exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    start = proc.stdout.rindex("\n{\n") + 1  # the report is the last thing printed; dbt's lines come before
    report = json.loads(proc.stdout[start:])
    return wall, [(str(s[0]), float(s[2])) for s in report["data"]["steps"]]


def plain_build(root: Path, warehouse: Path, run: str) -> float:
    """Wall seconds of a plain ``dbt build`` of the workspace's project into ``warehouse``."""
    _, data, _ = local_paths(warehouse)
    data.mkdir(parents=True, exist_ok=True)  # DuckLake attaches only into an existing folder
    env = {**_environ(), **LocalEngine(warehouse).dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    work = root / ".plain" / run
    cmd = [
        *_bin("dbt"),
        "build",
        "--vars",
        dbt_vars({"pipelineops_colour": "BLUE"}),
        "--project-dir",
        str(root / "dbt"),
        "--profiles-dir",
        str(root / "profiles"),
        "--target",
        "local_prod",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root / "dbt", env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    return wall


def _round(i: int, parent: Path, say: Say) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pipelineops-bench-", dir=parent) as tmp:
        root = make_workspace(Path(tmp))
        warehouse = Path(tmp) / "plain-warehouse"
        out: dict[str, object] = {}

        def deploys() -> None:
            for k in (1, 2):
                out[f"deploy {k}"] = deploy(root, f"bench-{i}-{k}")
                say(f"round {i}: deploy {k} took {out[f'deploy {k}'][0]:.1f} s")  # type: ignore[index]

        def plains() -> None:
            for k in (1, 2):
                out[f"plain {k}"] = plain_build(root, warehouse, f"{i}-{k}")
                say(f"round {i}: plain dbt build {k} took {out[f'plain {k}']:.1f} s")

        first, second = (deploys, plains) if i % 2 else (plains, deploys)
        first()
        second()
        return out


def measure_pipeline(*, rounds: int = 3, workdir: Path | None = None, say: Say = silent) -> BenchResult:
    runs = [_round(i, workdir or Path(tempfile.gettempdir()), say) for i in range(1, rounds + 1)]
    rows, ratios, breakdown = [], [], []
    for k, label in ((1, "first deploy (empty warehouse)"), (2, "next deploy (flips colours)")):
        walls = [r[f"deploy {k}"][0] for r in runs]  # type: ignore[index]
        plain = median([float(r[f"plain {k}"]) for r in runs])  # type: ignore[arg-type]
        dep = median(walls)
        rows.append((label, round(dep, 2), round(plain, 2), round(dep - plain, 2), ratio(dep, plain)))
        ratios.append(
            Ratio(
                f"deploy {k}/plain dbt build",
                ratio(dep, plain),
                f"{label}: wall time of bluegreen-swap over a plain dbt build of the same project",
            )
        )
        steps: dict[str, list[float]] = {}
        rest: list[float] = []
        for r in runs:
            wall, parts = cast(tuple[float, list[tuple[str, float]]], r[f"deploy {k}"])
            for name, s in parts:
                steps.setdefault(name, []).append(s)
            rest.append(wall - sum(s for _, s in parts))
        for name, values in steps.items():
            breakdown.append((label, name, round(median(values), 3), ratio(median(values), dep)))
        breakdown.append(
            (
                label,
                "start-up + plan (dbt parse, catalog reads, lock, journal)",
                round(median(rest), 3),
                ratio(median(rest), dep),
            )
        )
    return BenchResult(
        name=NAME,
        title="Pipeline overhead: bluegreen-swap vs plain dbt build (reference project)",
        params={
            "rounds": rounds,
            "consumer schemas": SCHEMAS,
            "dbt target": "local_prod (DuckLake, threads: 1)",
        },
        tables=(
            Table(
                "Median wall seconds, measured side by side in each round",
                ("run", "bluegreen-swap s", "plain dbt build s", "overhead s", "ratio"),
                tuple(rows),
            ),
            Table(
                "Where the deploy's time goes (median seconds; share of the deploy's median wall time)",
                ("run", "step", "median s", "share"),
                tuple(breakdown),
            ),
        ),
        ratios=tuple(ratios),
        notes=(
            "Both run as subprocesses with the same profile target and vars, each into its own fresh DuckLake "
            "warehouse; the plain build's second run rebuilds in place (its incremental models run "
            "incrementally, as they do in deploy 2 after the live tables are carried over).",
            "Shares need not sum to 1.00: the breakdown is of medians.",
        ),
    )
