"""DEPLOY_STATE, the deploy lock and published manifests, read and written through an engine."""

from __future__ import annotations

import base64
import gzip
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pipelineops.engines.base import Engine, Row, run_statements
from pipelineops.errors import PipelineOpsError, WarehouseBusy
from pipelineops.plan import history
from pipelineops.plan.history import LockHolder
from pipelineops.plan.sql import journal as jsql
from pipelineops.plan.sql import row_counts as rsql

log = logging.getLogger(__name__)


@dataclass
class Journal:
    engine: Engine
    schema: str
    environment: str
    clock: Callable[[], datetime]

    @property
    def _db(self) -> str:
        return self.engine.database

    def migrate(self) -> None:
        """Create the journal tables when missing (idempotent)."""
        run_statements(
            self.engine, jsql.migrations(self._db, self.schema, self.engine.dialect), transactional=False
        )
        self.engine.execute(rsql.migration(self._db, self.schema, self.engine.dialect))
        self.engine.execute(rsql.commits_migration(self._db, self.schema, self.engine.dialect))
        self.engine.execute(
            jsql.ensure_lock_row(self._db, self.schema, self.environment, self.engine.dialect)
        )

    def exists(self) -> bool:
        from pipelineops.engines.base import iter_names
        from pipelineops.plan.sql import list_schemas

        names = {
            n.upper() for n in iter_names(self.engine.query(list_schemas(self._db, self.engine.dialect)))
        }
        return self.schema.upper() in names

    def row_sql(self, row: Mapping[str, object]) -> str:
        return jsql.insert_state(
            self._db, self.schema, {"environment": self.environment, **row}, self.engine.dialect
        )

    def record(self, row: Mapping[str, object]) -> None:
        """Append one journal row in its own transaction."""
        with self.engine.transaction():
            self.engine.execute(self.row_sql(row))

    def history(self, limit: int = 5000) -> list[Row]:
        return self.engine.query(
            jsql.select_state(self._db, self.schema, self.environment, self.engine.dialect, limit=limit)
        )

    # -- row counts (anomaly checks) -------------------------------------------------------------
    def record_row_counts(self, deploy_id: str, counts: Mapping[str, int], *, source: str) -> None:
        """Record each model's row count for ``deploy_id`` (a re-run replaces its earlier rows)."""
        self.engine.execute(rsql.migration(self._db, self.schema, self.engine.dialect))
        statements = rsql.insert_counts(
            self._db,
            self.schema,
            environment=self.environment,
            deploy_id=deploy_id,
            counts=counts,
            at=self.clock(),
            source=source,
            dialect=self.engine.dialect,
        )
        run_statements(self.engine, statements, transactional=True)

    def row_counts(self) -> list[Row]:
        """Every recorded row count of the environment, oldest first (the table must exist: a deploy or
        ``record_row_counts`` creates it; readers check ``deploy_facts.existing_relations`` first)."""
        return self.engine.query(
            rsql.select_counts(self._db, self.schema, self.environment, self.engine.dialect)
        )

    def record_commit(self, deploy_id: str, git_sha: str, committed_at: datetime) -> None:
        """Record when the commit a deploy published was made (the lead time of the delivery numbers)."""
        self.engine.execute(rsql.commits_migration(self._db, self.schema, self.engine.dialect))
        statements = rsql.insert_commit(
            self._db,
            self.schema,
            environment=self.environment,
            deploy_id=deploy_id,
            git_sha=git_sha,
            committed_at=committed_at,
            dialect=self.engine.dialect,
        )
        run_statements(self.engine, statements, transactional=True)

    def commits(self) -> list[Row]:
        """Recorded commit times (the table must exist, as for ``row_counts``)."""
        return self.engine.query(
            rsql.select_commits(self._db, self.schema, self.environment, self.engine.dialect)
        )

    # -- lock ------------------------------------------------------------------------------------
    def holder(self) -> LockHolder | None:
        rows = self.engine.query(
            jsql.select_lock(self._db, self.schema, self.environment, self.engine.dialect)
        )
        if not rows or rows[0].get("deploy_id") is None:
            return None
        r = rows[0]
        return LockHolder(
            str(r["deploy_id"]), str(r.get("holder") or ""), str(r.get("run_url") or ""), r.get("acquired_at")
        )

    def acquire(self, deploy_id: str, *, holder: str, run_url: str) -> None:
        """Take the environment's deploy lock (compare-and-set), or raise ``WarehouseBusy`` naming the holder.

        Ownership is proven by the compare-and-set's row count, never by reading the row back afterwards
        (a read is a separate statement: another runner may have moved the lock in between)."""
        with self.engine.transaction():
            taken = self.engine.execute(
                jsql.take_lock(
                    self._db,
                    self.schema,
                    self.environment,
                    deploy_id=deploy_id,
                    holder=holder,
                    run_url=run_url,
                    now=self.clock(),
                    dialect=self.engine.dialect,
                )
            )
        if taken > 0:
            return
        current = self.holder()
        raise WarehouseBusy(
            f"the {self.environment} deploy lock is held by deploy {current.deploy_id if current else '?'}"
            f" ({current.holder if current else '?'}, since {current.acquired_at if current else '?'})",
            why="another deploy or rollback is running, or one died without releasing the lock",
            fix="wait for it (see `pipelineops status`); if that run is dead, re-run this command with --force-unlock "
            "(recorded in DEPLOY_STATE)"
            + (f"; its run: {current.run_url}" if current and current.run_url else ""),
            runbook="deploy-lock.md",
        )

    def force_unlock(self, *, by: str, actor: str, run_url: str, kind: str) -> LockHolder | None:
        """Release a lock another (dead) run left behind, with an audit row naming who released whose."""
        holder = self.holder()
        if holder is None or holder.deploy_id == by:
            return None
        self.release(None)
        now = self.clock()
        self.record(
            {
                "deploy_id": by,
                "kind": kind,
                "step": "force-unlock",
                "status": "succeeded",
                "actor": actor,
                "run_url": run_url,
                "started_at": now,
                "finished_at": now,
                "detail": f"released lock of {holder.deploy_id} ({holder.holder}, since {holder.acquired_at})",
            }
        )
        return holder

    def release(self, deploy_id: str | None) -> None:
        with self.engine.transaction():
            self.engine.execute(
                jsql.release_lock(self._db, self.schema, self.environment, deploy_id, self.engine.dialect)
            )

    # -- manifests -------------------------------------------------------------------------------
    def publish_manifest_sql(
        self, *, deploy_id: str, colour: str, digest: str, manifest: str
    ) -> tuple[str, ...]:
        """The statements that store a manifest, compressed and split below Snowflake's statement size,
        replacing what an earlier run of the same deploy stored. Run them in one transaction."""
        chunks = manifest_parts(manifest)
        now = self.clock()
        delete = jsql.delete_manifest(self._db, self.schema, self.environment, deploy_id, self.engine.dialect)
        inserts = tuple(
            jsql.insert_manifest(
                self._db,
                self.schema,
                environment=self.environment,
                deploy_id=deploy_id,
                colour=colour,
                digest=digest,
                published_at=now,
                manifest=chunk,
                dialect=self.engine.dialect,
                part=i,
                parts=len(chunks),
            )
            for i, chunk in enumerate(chunks, 1)
        )
        return (delete, *inserts)

    def latest_manifest(self) -> Row | None:
        """The manifest of the build production serves (the last good deploy: a rolled-back deploy's
        manifest is never the one Slim CI defers to), whole (``manifest`` is its JSON text)."""
        serving = history.lineage(self.history()).serving
        if serving is not None:
            found = self.manifest_of(serving.deploy_id)
            if found is not None:
                return found
        rows = self.engine.query(
            jsql.latest_manifest(self._db, self.schema, self.environment, self.engine.dialect)
        )
        return self._whole(rows)

    def manifest_of(self, deploy_id: str) -> Row | None:
        """The manifest deploy ``deploy_id`` published, whole; None when it stored none."""
        return self._whole(
            self.engine.query(
                jsql.manifest_of(self._db, self.schema, self.environment, deploy_id, self.engine.dialect)
            )
        )

    @staticmethod
    def _whole(rows: list[Row]) -> Row | None:
        if not rows:
            return None
        parts = int(str(rows[0].get("parts") or 1))
        if len(rows) != parts:
            raise PipelineOpsError(
                f"the manifest of deploy {rows[0].get('deploy_id')} is incomplete ({len(rows)} of {parts} parts)",
                fix="re-run the deploy (publish-manifest is re-done when a deploy resumes)",
            )
        return {**rows[0], "manifest": join_manifest_parts([str(r["manifest"]) for r in rows])}


#: Characters of one stored part: base64 text well below Snowflake's 1 MB statement limit.
PART_CHARS = 400_000


def manifest_parts(text: str) -> list[str]:
    """``text`` gzip-compressed, base64-encoded and split into parts of ``PART_CHARS``."""
    encoded = base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")
    return [encoded[i : i + PART_CHARS] for i in range(0, len(encoded), PART_CHARS)] or [""]


def join_manifest_parts(parts: list[str]) -> str:
    return gzip.decompress(base64.b64decode("".join(parts))).decode("utf-8")
