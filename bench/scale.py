"""Benchmark ``scale``: slim deploys and slim CI against full builds on synthetic projects of N models.

For each N (``bench/synthetic.py``: sources → staging → intermediate → marts, depth 8, fan-in and fan-out,
some incremental marts) one workspace and one local warehouse run, side by side, as subprocesses:

1. ``bluegreen-swap`` — the first deploy (full: nothing is live);
2. one staging model changes (its descendants are about 2% of the DAG) and is committed;
3. ``slim-ci --pr 1`` against that deploy's manifest, then the *bare* dbt command it wraps
   (``dbt build --select state:modified+ --defer --state … --favor-state``) and a plain full ``dbt build``
   of the project into an empty warehouse (a PR build without slim CI);
4. ``bluegreen-swap --mode slim`` and ``bluegreen-swap --mode full`` of the changed commit;
5. ``slim-ci --pr 2`` with nothing changed against the last deploy (the zero-change PR).

The Snowflake statement count of the carry-over comes from the same plan function rendered for Snowflake
(no warehouse needed), for every N including those not run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.machine import REPO
from bench.measure import Say, ratio, silent
from bench.pipeline import _bin, _environ, plain_build
from bench.results import BenchResult, Ratio, Table
from pipelineops.engines.duckdb import LocalEngine
from pipelineops.plan import slim_deploy
from pipelineops.plan.bluegreen_swap import Carried, DeployInputs, Published, build_plan
from pipelineops.plan.sql import SNOWFLAKE

NAME = "scale"
TITLE = "Slim deploys and slim CI vs full builds at N models (local engine)"
SIZES = (50, 200, 1000)
CONFIG = """\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [MARTS]
environments:
  dev:
    engine: duckdb
    dbt_target: local_dev
    local_dir: warehouse
  prod:
    engine: duckdb
    dbt_target: local_prod
    local_dir: warehouse
"""
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
BUILT = re.compile(r"(\d+) node\(s\) built")
TARGETS = {
    "full/slim deploy nodes built": 20.0,
    "full/slim deploy wall": 10.0,
    "full build/slim-ci wall": 10.0,
}


def workspace(parent: Path, project: synthetic.Project) -> Path:
    root = parent / f"ws-{project.n}"
    synthetic.write(project, root / "dbt")
    for name in ("generate_schema_name.sql", "generate_database_name.sql"):
        shutil.copy(REPO / "dbt" / "macros" / name, root / "dbt" / "macros" / name)
    (root / "profiles").mkdir()
    shutil.copy(REPO / "dbt" / "profiles.yml", root / "profiles" / "profiles.yml")
    (root / "pipelineops.yml").write_text(CONFIG, encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "synthetic"]):
        subprocess.run([*GIT, *args], cwd=root, check=True)
    return root


def pipelineops(root: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one ``pipelineops`` subcommand and its JSON report (stdout holds only the JSON)."""
    cmd = [*_bin("pipelineops"), *args, "--json", "--config", str(root / "pipelineops.yml")]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=_environ(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    report = json.loads(proc.stdout[proc.stdout.index("{") :])  # with --json, stdout holds only the report
    assert isinstance(report, dict)
    return wall, report


def bare_slim_ci(root: Path) -> float:
    """The dbt command ``slim-ci --pr 1`` wraps, run by hand against the state slim-ci fetched."""
    state = root / ".pipelineops" / "runs" / "dev" / "slim-ci-pr-1" / "state"
    env = {
        **_environ(),
        **LocalEngine(root / "warehouse").dbt_env(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    work = root / ".bare"
    cmd = [
        *_bin("dbt"),
        "build",
        "--select",
        "state:modified+",
        "--defer",
        "--state",
        str(state),
        "--favor-state",
        "--vars",
        '{"pipelineops_pr":1}',
        "--project-dir",
        str(root / "dbt"),
        "--profiles-dir",
        str(root / "profiles"),
        "--target",
        "local_dev",
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root / "dbt", env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"bare dbt build exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    return wall


def built(report: dict[str, Any]) -> int:
    found = BUILT.search(str(report.get("data", {}).get("mode", {}).get("mode", "")))
    return int(found.group(1)) if found else -1


STEPS = ("prepare", "build", "checks", "cutover")


def steps(mode: str, wall: float, report: dict[str, Any]) -> dict[str, float]:
    """Seconds of a deploy's main steps (``<mode> deploy <step> s``) and of the rest (start-up, parse, dbt ls,
    catalog reads, journal)."""
    parts = {str(s[0]): float(s[2]) for s in report.get("data", {}).get("steps", [])}
    out = {f"{mode} deploy {name} s": parts.get(name, 0.0) for name in STEPS}
    out[f"{mode} deploy rest s"] = wall - sum(parts.values())
    return out


def carry_statements(project: synthetic.Project) -> tuple[int, int, int]:
    """(carried tables, Snowflake statements of the slim prepare step, of the full one) for the change."""
    target, _ = project.change_target()
    chosen = {f"model.synthetic.{n}" for n in (target, *project.descendants(target))}
    nodes = [
        slim_deploy.Node(
            f"model.synthetic.{m.name}",
            m.name,
            m.folder.upper(),
            m.name,
            "incremental" if m.incremental else ("view" if m.folder == "staging" else "table"),
        )
        for m in project.models
    ]
    live = frozenset((n.schema, n.alias.upper()) for n in nodes)
    carry = slim_deploy.carry_over(nodes, chosen, live)
    assert isinstance(carry, slim_deploy.CarryOver)
    inputs = DeployInputs(
        environment="prod",
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        live="BLUE",
        consumer_schemas=("MARTS",),
        dbt_target="prod",
        published=tuple(Published("MARTS", n.alias) for n in nodes if n.schema == "MARTS"),
        existing_views={},
        incremental_in_live=tuple(
            Carried(n.schema, n.alias) for n in nodes if n.materialized == "incremental"
        ),
    )
    full = build_plan(inputs)
    slim = slim_deploy.slim_plan(
        full, carry, database="ANALYTICS", live="BLUE", idle="GREEN", state_dir="state", vars_json="{}"
    )
    return len(carry.tables), len(slim.step("prepare").sql), len(full.step("prepare").sql)


def measure_size(n: int, parent: Path, say: Say) -> dict[str, float]:
    project = synthetic.design(n)
    target, descendants = project.change_target()
    with tempfile.TemporaryDirectory(prefix=f"scale-{n}-", dir=parent) as tmp:
        root = workspace(Path(tmp), project)
        out: dict[str, float] = {"descendants": float(descendants)}
        out["first deploy s"], _ = pipelineops(root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d1")
        say(f"N={n}: first deploy {out['first deploy s']:.1f} s")
        subprocess.run([*GIT, "branch", "base"], cwd=root, check=True)  # the PR's base, for its vars
        synthetic.change(root / "dbt", target)
        subprocess.run([*GIT, "commit", "-qam", f"change {target}"], cwd=root, check=True)
        ci = ("slim-ci", "--env", "dev")
        out["slim-ci s"], _ = pipelineops(
            root, *ci, "--base-ref", "base", "--pr", "1", "--comment-file", str(root / "c1.md")
        )
        say(f"N={n}: slim-ci {out['slim-ci s']:.1f} s")
        out["bare dbt s"] = bare_slim_ci(root)
        say(f"N={n}: bare dbt build {out['bare dbt s']:.1f} s")
        out["full build s"] = plain_build(root, Path(tmp) / "plain-warehouse", "full")
        say(f"N={n}: full dbt build {out['full build s']:.1f} s")
        out["slim deploy s"], report = pipelineops(
            root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d2", "--mode", "slim"
        )
        out["slim nodes"] = float(built(report))
        out.update(steps("slim", out["slim deploy s"], report))
        say(f"N={n}: slim deploy {out['slim deploy s']:.1f} s, {out['slim nodes']:.0f} nodes built")
        out["full deploy s"], report = pipelineops(
            root, "bluegreen-swap", "--env", "prod", "--deploy-id", "d3", "--mode", "full"
        )
        out["full nodes"] = float(built(report))
        out.update(steps("full", out["full deploy s"], report))
        say(f"N={n}: full deploy {out['full deploy s']:.1f} s, {out['full nodes']:.0f} nodes built")
        out["zero-change slim-ci s"], _ = pipelineops(
            root, *ci, "--pr", "2", "--comment-file", str(root / "c2.md")
        )
        say(f"N={n}: zero-change slim-ci {out['zero-change slim-ci s']:.1f} s")
    return out


def measure_scale(
    *, sizes: tuple[int, ...] = SIZES, workdir: Path | None = None, say: Say = silent
) -> BenchResult:
    parent = workdir or Path(tempfile.gettempdir())
    runs = {n: measure_size(n, parent, say) for n in sizes}
    rows, ratios = [], []
    for n, r in runs.items():
        rows.append(
            (
                n,
                int(r["descendants"]),
                round(r["first deploy s"], 2),
                round(r["full deploy s"], 2),
                round(r["slim deploy s"], 2),
                int(r["full nodes"]),
                int(r["slim nodes"]),
                round(r["full build s"], 2),
                round(r["slim-ci s"], 2),
                round(r["bare dbt s"], 2),
                round(r["zero-change slim-ci s"], 2),
            )
        )
        ratios += [
            Ratio(
                f"full/slim deploy wall (N={n})",
                ratio(r["full deploy s"], r["slim deploy s"]),
                "target ≥ 10 at N=1000: wall of a full deploy over a slim deploy of the same one-model change",
            ),
            Ratio(
                f"full/slim deploy nodes built (N={n})",
                ratio(r["full nodes"], r["slim nodes"]),
                "target ≥ 20 at N=1000: dbt nodes a full deploy builds over those a slim deploy builds",
            ),
            Ratio(
                f"full build/slim-ci wall (N={n})",
                ratio(r["full build s"], r["slim-ci s"]),
                "target ≥ 10 at N=1000: a plain full dbt build over slim-ci of the same change",
            ),
        ]
    top = max(runs)
    r = runs[top]
    ratios += [
        Ratio(
            f"slim-ci/bare dbt wall (N={top})",
            ratio(r["slim-ci s"], r["bare dbt s"]),
            "target ≤ 1.10: slim-ci over the same dbt build run by hand (our overhead: dbt ls, manifest, report)",
        ),
        Ratio(
            f"zero-change slim-ci seconds (N={top})",
            round(r["zero-change slim-ci s"], 2),
            "target ≤ 15 s (a value in seconds, not a ratio): slim-ci of a PR that changes no dbt node",
        ),
    ]
    statements = []
    for n in sorted({*SIZES, *sizes}):
        tables, slim_n, full_n = carry_statements(synthetic.design(n))
        statements.append((n, tables, slim_n, full_n))
    checks: dict[str, bool | None] = {}
    values = {x.name: x.value for x in ratios}
    for name, goal in TARGETS.items():
        key = f"{name} (N=1000)"
        checks[f"target {name} ≥ {goal:g} at N=1000 met"] = (values[key] >= goal) if key in values else None
    checks["target slim-ci/bare dbt ≤ 1.10 met"] = values[f"slim-ci/bare dbt wall (N={top})"] <= 1.10
    checks["target zero-change slim-ci ≤ 15 s met"] = values[f"zero-change slim-ci seconds (N={top})"] <= 15
    return BenchResult(
        name=NAME,
        title=TITLE,
        params={
            "sizes": ",".join(str(n) for n in sizes),
            "change": "one staging model (~2% descendants)",
            "dbt target": "local_prod/local_dev (DuckLake, threads: 1)",
        },
        tables=(
            Table(
                "Wall seconds and nodes built, measured side by side in one workspace per N",
                (
                    "N",
                    "descendants of the change",
                    "first deploy s",
                    "full deploy s",
                    "slim deploy s",
                    "full nodes built",
                    "slim nodes built",
                    "full dbt build s",
                    "slim-ci s",
                    "bare dbt s",
                    "zero-change slim-ci s",
                ),
                tuple(rows),
            ),
            Table(
                "Where each deploy's wall time goes (seconds; rest = start-up, dbt parse and ls, catalog "
                "reads, journal, smoke, manifest)",
                ("N", "mode", *(f"{s} s" for s in STEPS), "rest s"),
                tuple(
                    (n, mode, *(round(r.get(f"{mode} deploy {s} s", 0.0), 2) for s in (*STEPS, "rest")))
                    for n, r in runs.items()
                    for mode in ("full", "slim")
                ),
            ),
            Table(
                "Snowflake statements of the prepare step for the same change (rendered plan)",
                ("N", "tables carried", "slim prepare statements", "full prepare statements"),
                tuple(statements),
            ),
        ),
        ratios=tuple(ratios),
        checks=checks,
        notes=(
            "Each size runs once (one workspace, one local DuckLake warehouse) on a shared machine: absolute "
            "seconds move with its load; a target reported as not met is not met on this run.",
            "Nodes built are dbt's models, seeds and snapshots (tests not counted); the slim deploy's count also "
            "excludes the views it re-creates and the tables it copies (both reported in its journal row).",
            "The Snowflake carry-over is one zero-copy CLONE per unmodified table plus one CREATE SCHEMA per "
            "colour schema; unmodified views are re-created by the deploy's one dbt build.",
            "A check of None means that size was not run (pass --sizes 50,200,1000).",
        ),
    )
