"""Make the DuckLake extension loadable offline.

DuckDB normally downloads extensions at first use. The PyPI wheel ``duckdb-extension-ducklake`` ships the
binary; DuckDB finds it when it sits at ``<extension_directory>/v<duckdb version>/<platform>/``. We copy it
there once and hand the directory to DuckDB (``extension_directory``) and to dbt-duckdb
(``config_options: {extension_directory: ...}``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import duckdb

from pipelineops.errors import UserError

log = logging.getLogger(__name__)

EXTENSION_FILE = "ducklake.duckdb_extension"


def _wheel_extension(version: str) -> Path:
    try:
        import duckdb_extension_ducklake
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise UserError(
            "the DuckLake extension package is not installed",
            fix="pip install -r requirements/runtime.txt (it pins duckdb-extension-ducklake)",
        ) from exc
    path = Path(duckdb_extension_ducklake.__file__).parent / "extensions" / version / EXTENSION_FILE
    if not path.is_file():
        raise UserError(
            f"duckdb-extension-ducklake has no build for DuckDB {version} ({path} is missing)",
            fix="install matching versions: duckdb and duckdb-extension-ducklake are pinned together "
            "in requirements/runtime.txt",
        )
    return path


def prepare_extension_dir(directory: Path) -> Path:
    """Place the DuckLake binary under ``directory`` where DuckDB looks for it; return ``directory``."""
    version = duckdb.__version__
    version_dir = version if version.startswith("v") else f"v{version}"
    platform = str(duckdb.execute("PRAGMA platform").fetchone()[0])  # type: ignore[index]
    target = directory / version_dir / platform / EXTENSION_FILE
    source = _wheel_extension(version_dir)
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        log.debug("copied %s to %s", source, target)
    return directory
