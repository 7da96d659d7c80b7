"""The machine a run measured: cores, load, Python and the versions of the engines involved."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on this platform
        return "n/a"


def machine_info() -> dict[str, str | int]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {
        "cores": os.cpu_count() or 0,
        "cores usable": usable,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "duckdb-extension-ducklake": _version("duckdb-extension-ducklake"),
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "pipelineops": _version("pipelineops"),
        "git sha": _git_sha(),
        "load average at start (1/5/15 min)": load_average(),
    }
