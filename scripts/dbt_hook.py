#!/usr/bin/env python3
"""Run a dbt-aware tool (``sqlfluff`` with the dbt templater, ``dbt parse``/``compile``) on a throwaway
local warehouse, for pre-commit hooks and CI.

The reference project's ``local_dev`` target attaches a DuckLake catalog (dbt/profiles.yml). Hooks must not
touch the developer's real warehouse in ``.pipelineops/``: it is single-process, so a hook attaching it
while ``pipelineops demo`` runs would fail on the lock (DESIGN.md §5). This wrapper:

1. makes the DuckLake extension loadable offline in a cached directory (``PIPELINEOPS_DUCKDB_EXTENSION_DIR``,
   default ``.pipelineops/duckdb_extensions``; the same place the CLI uses),
2. points ``PIPELINEOPS_LOCAL_DIR`` at a fresh temporary warehouse, removed afterwards,
3. runs the command (in ``--cwd``, with file arguments made relative to it), resolving its executable next
   to this interpreter first (the project's ``.venv``).

SQLFluff reads the templater from the ``.sqlfluff`` of its working directory, so the lint hook runs with
``--cwd dbt`` (where the project's ``.sqlfluff`` lives).

Usage: dbt_hook.py [--extension-dir DIR] [--cwd DIR] -- TOOL [ARGS...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

DEFAULT_EXTENSION_DIR = Path(".pipelineops") / "duckdb_extensions"


def resolve(tool: str) -> str:
    """``tool`` from the interpreter's own bin directory when it is there, else from PATH."""
    here = shutil.which(tool, path=str(Path(sys.executable).parent))
    found = here or shutil.which(tool)
    if found is None:
        raise SystemExit(f"dbt_hook: {tool!r} is not installed here; run `make venv` first")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a dbt-aware tool on a throwaway local warehouse.")
    parser.add_argument(
        "--extension-dir",
        type=Path,
        default=Path(os.environ.get("PIPELINEOPS_DUCKDB_EXTENSION_DIR", DEFAULT_EXTENSION_DIR)),
    )
    parser.add_argument("--cwd", type=Path, default=Path.cwd(), help="run the command in this directory")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- TOOL [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")

    from pipelineops.engines.ducklake_extension import prepare_extension_dir

    extension_dir = prepare_extension_dir(args.extension_dir.resolve())
    cwd = args.cwd.resolve()
    arguments = [os.path.relpath(a, cwd) if Path(a).is_file() else a for a in command[1:]]
    with tempfile.TemporaryDirectory(prefix="pipelineops-hook-") as tmp:
        warehouse = Path(tmp) / "local"
        (warehouse / "data").mkdir(parents=True)
        env = {
            **os.environ,
            "PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(extension_dir),
            "PIPELINEOPS_LOCAL_DIR": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        return subprocess.run([resolve(command[0]), *arguments], cwd=cwd, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
