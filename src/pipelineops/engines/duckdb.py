"""The embedded local engine: DuckDB with a DuckLake catalog (real transactions and time travel).

The catalog is a DuckDB file that one process at a time may attach; a second process gets a lock error,
which we translate into ``WarehouseBusy``. Close the engine before dbt runs (dbt opens its own instance)
and reopen after.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelineops.engines.base import Row
from pipelineops.engines.ducklake_extension import prepare_extension_dir
from pipelineops.errors import PipelineOpsError, UserError, WarehouseBusy
from pipelineops.plan.sql import DUCKDB, Dialect, lit

log = logging.getLogger(__name__)
CATALOG_FILE = "catalog.ducklake"
DATA_DIR = "data"
EXTENSION_DIR = "extensions"


def local_paths(local_dir: Path) -> tuple[Path, Path, Path]:
    """(catalog file, data folder, extension folder) of a local warehouse folder."""
    return local_dir / CATALOG_FILE, local_dir / DATA_DIR, local_dir.parent / EXTENSION_DIR


class LocalEngine:
    dialect: Dialect = DUCKDB

    def __init__(self, local_dir: Path, *, database: str = "lake", extension_dir: Path | None = None) -> None:
        self.local_dir = local_dir
        self.extension_dir = extension_dir or local_paths(local_dir)[2]
        self.database = database
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    # -- connection ------------------------------------------------------------------------------
    def _connect(self) -> duckdb.DuckDBPyConnection:
        catalog, data, _ = local_paths(self.local_dir)
        ext = self.extension_dir
        data.mkdir(parents=True, exist_ok=True)
        prepare_extension_dir(ext)
        con = duckdb.connect(
            ":memory:",
            config={"extension_directory": str(ext), "autoinstall_known_extensions": False},
        )
        try:
            con.execute(
                f'ATTACH {lit("ducklake:" + str(catalog), DUCKDB)} AS "{self.database}" '
                f"(DATA_PATH {lit(str(data) + '/', DUCKDB)})"
            )
        except duckdb.Error as exc:
            con.close()
            raise translate(exc) from exc
        log.debug("attached %s as %s", catalog, self.database)
        return con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                self._con = self._connect()
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for a reader thread (MVCC isolates it from the writer)."""
        return self.con.cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def release_for_dbt(self) -> None:
        """dbt attaches the catalog in its own process, and the catalog admits one: let go of it now (the
        next statement reopens it)."""
        self.close()

    def dbt_env(self) -> dict[str, str]:
        ext = self.extension_dir
        prepare_extension_dir(ext)
        return {"PIPELINEOPS_LOCAL_DIR": str(self.local_dir), "PIPELINEOPS_DUCKDB_EXTENSION_DIR": str(ext)}

    # -- statements ------------------------------------------------------------------------------
    def query(self, sql: str) -> list[Row]:
        log.debug("query: %s", sql)
        try:
            cur = self.con.execute(sql)
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        except duckdb.Error as exc:
            raise translate(exc, sql) from exc

    def execute(self, sql: str) -> int:
        log.debug("execute: %s", sql)
        try:
            cur = self.con.execute(sql)
            row = cur.fetchone() if cur.description else None
        except duckdb.Error as exc:
            raise translate(exc, sql) from exc
        return int(row[0]) if row and isinstance(row[0], int) else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            try:
                self.con.execute("ROLLBACK")
            except duckdb.Error:  # pragma: no cover - already rolled back by the failure
                log.debug("rollback after failure also failed", exc_info=True)
            raise
        self.execute("COMMIT")

    def snapshot_version(self) -> int:
        """The current DuckLake snapshot id (the version a time-travel restore can go back to)."""
        rows = self.query(DUCKDB.time_travel.latest_snapshot(self.database))
        return int(str(rows[0]["v"]))


def translate(exc: duckdb.Error, sql: str = "") -> PipelineOpsError:
    """Turn a DuckDB error into ours, at this one boundary."""
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text or "Unique file handle conflict" in text:
        return WarehouseBusy(
            "another pipelineops or dbt process is using the local warehouse",
            why=text.splitlines()[0],
            fix="wait for it to finish (the local engine is single-process), or stop it; "
            "a killed process releases the lock when it exits",
            runbook="local-engine.md",
        )
    if "DATA_PATH" in text and "does not match" in text:
        return UserError(
            "the local warehouse was moved or copied: its catalog records another data folder",
            why=text.splitlines()[0],
            fix="use the warehouse from its original folder, or start a fresh one (delete the folder, or "
            "`pipelineops demo` for the demo warehouse)",
            runbook="local-engine.md",
        )
    if isinstance(exc, duckdb.CatalogException):
        return UserError(f"the local warehouse has no such object: {text.splitlines()[0]}", why=sql[:200])
    err = PipelineOpsError(f"local engine error: {text.splitlines()[0]}", why=sql[:200])
    return err
