"""Temporary pipelineops workspaces for end-to-end tests: a dbt project copy, a config, a git repo."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelineops.cli import main
from pipelineops.engines.duckdb import LocalEngine

REPO = Path(__file__).resolve().parents[2]
CONFIG = """\
version: 1
dbt:
  project_dir: dbt
  profiles_dir: profiles
layout:
  consumer_schemas: [{schemas}]
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


def make_workspace(tmp: Path, project: Path, *, schemas: str = "MARTS") -> Path:
    root = tmp / "ws"
    shutil.copytree(project, root / "dbt", ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    (root / "profiles").mkdir()
    shutil.copy(REPO / "dbt" / "profiles.yml", root / "profiles" / "profiles.yml")
    macros = root / "dbt" / "macros"
    macros.mkdir(exist_ok=True)
    for name in ("generate_schema_name.sql", "generate_database_name.sql"):
        if not (macros / name).exists():
            shutil.copy(REPO / "dbt" / "macros" / name, macros / name)
    (root / "pipelineops.yml").write_text(CONFIG.format(schemas=schemas), encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    return root


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(root), "USER": "tester", **(env or {})}
    code = main([*args, "--config", str(root / "pipelineops.yml")], environ=environ, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def killed_run(root: Path, *args: str, boundary: str, timeout: float = 600) -> int:
    """Run ``pipelineops <args>`` in a child process that SIGKILLs itself right after the journal row
    ``boundary`` (``PIPELINEOPS_CHAOS_KILL_AFTER``); returns its exit code (-9 when killed).

    The child sees this process's environment plus only the kill switch, which the parse cache ignores:
    like a re-run after a real crash, the in-process re-run then reuses the manifest the killed run parsed."""
    env = {**os.environ, "PIPELINEOPS_CHAOS_KILL_AFTER": boundary}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelineops.cli", *args, "--config", str(root / "pipelineops.yml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )
    return proc.returncode


def engine(root: Path) -> LocalEngine:
    return LocalEngine((root / "warehouse").resolve())


def view_colours(eng: LocalEngine, schema: str = "MARTS") -> set[str]:
    """The colours the consumer views of ``schema`` read from."""
    rows = eng.query(
        f"SELECT sql FROM duckdb_views() WHERE database_name = 'lake' AND upper(schema_name) = '{schema}'"
    )
    colours = set()
    for r in rows:
        text = str(r["sql"]).upper()
        colours |= {c for c in ("BLUE", "GREEN") if f"__{c}" in text}
    return colours
