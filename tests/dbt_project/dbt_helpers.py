"""Run the reference dbt project (dbt/) as a subprocess, isolated per test run.

Every invocation gets its own --target-path and --log-path (tests run in parallel under pytest-xdist), and
every scenario its own local warehouse (PIPELINEOPS_LOCAL_DIR) under a temporary directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipelineops.engines.ducklake_extension import prepare_extension_dir

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt"
BIN_DIR = Path(sys.executable).parent
DBT_BIN = BIN_DIR / "dbt"
ANCHOR_DATE = "2025-06-30"


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    output: str
    target_path: Path

    def artifact(self, name: str) -> dict[str, Any]:
        return json.loads((self.target_path / name).read_text())

    @property
    def run_results(self) -> dict[str, Any]:
        return self.artifact("run_results.json")


@dataclass(frozen=True)
class LocalWarehouse:
    root: Path

    @property
    def local_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def extension_dir(self) -> Path:
        return self.root / "duckdb_extensions"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "SNOWFLAKE_"))}
        env.update(
            PIPELINEOPS_LOCAL_DIR=str(self.local_dir),
            PIPELINEOPS_DUCKDB_EXTENSION_DIR=str(self.extension_dir),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DBT_USE_COLORS="false",
        )
        return env

    @classmethod
    def create(cls, root: Path) -> LocalWarehouse:
        wh = cls(root)
        wh.local_dir.mkdir(parents=True, exist_ok=True)
        prepare_extension_dir(wh.extension_dir)
        return wh

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the DuckLake catalog; only while no dbt process holds it (the warehouse is single-process)."""
        con = duckdb.connect(config={"extension_directory": str(self.extension_dir)})
        try:
            con.execute(
                f"attach 'ducklake:{self.local_dir}/catalog.ducklake' as lake (data_path '{self.local_dir}/data')"
            )
            yield con
        finally:
            con.close()


def run_dbt(
    args: list[str],
    *,
    workdir: Path,
    label: str,
    env: dict[str, str],
    dbt_vars: dict[str, Any] | None = None,
    timeout: int = 600,
    project_dir: Path = DBT_DIR,
) -> DbtResult:
    """Run `.venv/bin/dbt <args>` in dbt/ (or a copy of it) with target and log paths under workdir/<label>."""
    target_path = workdir / label / "target"
    cmd = [
        str(DBT_BIN),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(workdir / label / "logs"),
    ]
    if dbt_vars is not None:
        cmd += ["--vars", json.dumps(dbt_vars)]
    proc = subprocess.run(
        cmd, cwd=project_dir, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = proc.stdout + proc.stderr
    (workdir / label).mkdir(parents=True, exist_ok=True)
    (workdir / label / "output.txt").write_text(output)
    return DbtResult(tuple(cmd), proc.returncode, output, target_path)


def shared_scenario(
    tmp_path_factory: Any, name: str, build: Callable[[Path], dict[str, Any]]
) -> dict[str, Any]:
    """Run `build(workdir)` once per test session, even across pytest-xdist workers.

    The first worker runs it under a file lock and stores its JSON-able result; the others wait and read it.
    Tests then assert on that result, so a dbt build is never repeated per test or per worker.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    workdir = base / f"dbt_project_{name}"
    result_file = workdir / "result.json"
    workdir.mkdir(parents=True, exist_ok=True)
    with open(base / f"dbt_project_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not result_file.exists():
                result = build(workdir)
                result_file.write_text(json.dumps(result, default=str))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return json.loads(result_file.read_text())


def load_defects() -> list[dict[str, Any]]:
    return yaml.safe_load((DBT_DIR / "seeds" / "DEFECTS.yml").read_text())["defects"]


def expected_warn_tests() -> dict[str, int]:
    """test name -> failure count that the defect catalogue promises."""
    expected: dict[str, int] = {}
    for defect in load_defects():
        for catch in defect["caught_by"]:
            if "test" in catch:
                expected[catch["test"]] = catch["failures"]
    return expected


def summarise(result: DbtResult) -> dict[str, Any]:
    """The JSON-able part of a dbt run that tests assert on."""
    summary: dict[str, Any] = {"returncode": result.returncode, "output_tail": result.output[-4000:]}
    rr_path = result.target_path / "run_results.json"
    if rr_path.exists():
        rr = json.loads(rr_path.read_text())
        summary["results"] = [
            {
                "unique_id": r["unique_id"],
                "status": r["status"],
                "failures": r["failures"],
                "message": r["message"],
                "batches": r.get("batch_results"),
            }
            for r in rr["results"]
        ]
        summary["elapsed_time"] = rr["elapsed_time"]
    return summary


def by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """unique_id -> result, plus the bare test/model name for project nodes."""
    out = {}
    for r in summary["results"]:
        out[r["unique_id"]] = r
        parts = r["unique_id"].split(".")
        if parts[0] in ("test", "model", "seed") and len(parts) >= 3:
            out[parts[2]] = r
    return out
