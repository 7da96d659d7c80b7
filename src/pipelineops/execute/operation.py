"""One journalled operation — a deploy, backfill, rollback or restore — under the warehouse's deploy lock.

The order is fixed: take the lock → read the journal *under the lock* → decide and plan from it → act,
journalling every step → release. A re-run with the same id reads what that id already did and finishes
it (or reports it done); it never starts a different operation under the same id.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

from pipelineops.engines.base import Row
from pipelineops.errors import CheckFailed, PipelineOpsError, UserError
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import history
from pipelineops.report.advice import build_name

log = logging.getLogger(__name__)

Kind = Literal["deploy", "rollback", "restore"]
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


def check_op_id(op_id: str, *, option: str) -> str:
    """An operation id is journalled and printed; keep it to letters, digits, ``.``, ``_`` and ``-``."""
    if not _ID.match(op_id):
        raise UserError(
            f"{option} {op_id!r} is not a valid operation id",
            fix=f"use letters, digits, '.', '_' and '-' (at most 128), e.g. {option} gh-1234",
        )
    return op_id


def default_op_id(environ: Mapping[str, str], prefix: str, now: str, suffix: str = "") -> str:
    """In GitHub Actions ``gh-<run id>`` for a deploy and ``gh-<run id>-<kind>`` for the others (``prefix``
    names the kind), so a re-run attempt of the same workflow run resumes the same operation (and its lock)
    while a deploy and a rollback in one run keep their own ids. Elsewhere ``<prefix><UTC time>-<suffix>``,
    the suffix being random when none is given (two operations in one second keep their own ids)."""
    run = environ.get("GITHUB_RUN_ID")
    if run:
        return f"gh-{run}" + (f"-{prefix.rstrip('-')}" if prefix else "")
    return f"{prefix}{now}-{suffix or secrets.token_hex(3)}"


class Operation:
    """The journal rows of one operation: every row carries its id, kind, sha, colours and reason."""

    def __init__(
        self,
        rt: Runtime,
        *,
        op_id: str,
        kind: Kind,
        git_sha: str = "",
        reason: str = "",
        detail: str = "",
    ) -> None:
        self.rt = rt
        self.op_id = op_id
        self.kind = kind
        self.git_sha = git_sha
        self.reason = reason
        self.detail = detail
        self.colour_from: history.Colour | None = None
        self.colour_to: history.Colour | None = None
        self.steps: list[tuple[str, str, float]] = []
        self.finished = False

    def row(self, step: str, status: str, **extra: object) -> dict[str, object]:
        now = self.rt.ctx.clock()
        row: dict[str, object] = {
            "deploy_id": self.op_id,
            "kind": self.kind,
            "step": step,
            "status": status,
            "git_sha": self.git_sha or None,
            "actor": self.rt.ctx.actor,
            "run_url": self.rt.ctx.run_url,
            "colour_from": self.colour_from,
            "colour_to": self.colour_to,
            "started_at": now,
        }
        if self.reason:
            row["reason"] = self.reason
        if self.detail:
            row["detail"] = self.detail
        if status != "started":
            row["finished_at"] = now
        row.update(extra)
        return row

    def record(self, row: Mapping[str, object]) -> None:
        """Append one row in its own transaction (then the chaos hook may kill the process)."""
        self.rt.journal.record(row)
        if row.get("step") == history.FINISH:
            self.finished = True
        self.chaos(str(row.get("step")), str(row.get("status")))

    def step(self, name: str, status: str, elapsed: float, **extra: object) -> None:
        self.record(self.row(name, status, elapsed_ms=int(elapsed * 1000), **extra))
        self.steps.append((name, status, elapsed))

    def finish(self, status: str, **extra: object) -> None:
        self.record(self.row(history.FINISH, status, **extra))

    def chaos(self, step: str, status: str) -> None:
        """Chaos testing: ``PIPELINEOPS_CHAOS_KILL_AFTER=<step>:<status>`` SIGKILLs this process right after
        that journal row is committed, to prove a re-run converges from every step boundary."""
        if self.rt.ctx.environ.get("PIPELINEOPS_CHAOS_KILL_AFTER") == f"{step}:{status}":
            log.warning("chaos: killing %s after %s:%s", self.op_id, step, status)
            os.kill(os.getpid(), signal.SIGKILL)


def chaos_pause(environ: Mapping[str, str], point: str) -> None:
    """Chaos testing: ``PIPELINEOPS_CHAOS_PAUSE=<point>:<seconds>`` sleeps at ``point`` (e.g. ``before-lock``);
    ``<point>:@<path>`` waits there until ``path`` exists (at most 10 minutes), so a test can interleave
    another operation at that point."""
    spec = environ.get("PIPELINEOPS_CHAOS_PAUSE", "")
    name, _, until = spec.partition(":")
    if name != point or not until:
        return
    log.warning("chaos: pausing at %s until %s", point, until)
    if not until.startswith("@"):
        time.sleep(float(until))
        return
    deadline = time.monotonic() + 600
    while not os.path.exists(until[1:]) and time.monotonic() < deadline:
        time.sleep(0.05)


@contextmanager
def locked(op: Operation, *, force_unlock: bool, option: str) -> Iterator[list[Row]]:
    """Hold the deploy lock for ``op``; yields the journal as read under the lock.

    The id is checked first (``check_reuse``, ``option`` names it in errors), before the lock is taken
    and before anything is written. Steps a dead run of the same id left open are journalled as abandoned.
    Whatever ends the body — an error, Ctrl-C — a ``finish failed`` row is written unless the body wrote
    its own finish, and the lock is released.
    """
    rt, journal = op.rt, op.rt.journal
    journal.migrate()
    check_reuse(history.progress(journal.history(), op.op_id), op, option=option)
    if rt.ctx.environ.get("PIPELINEOPS_CHAOS_PAUSE"):
        rt.engine.close()  # release the local warehouse while paused, as a dbt run does
        chaos_pause(rt.ctx.environ, "before-lock")
    if force_unlock:
        released = journal.force_unlock(by=op.op_id, actor=rt.ctx.actor, run_url=rt.ctx.run_url, kind=op.kind)
        if released is not None:
            rt.ctx.reporter.warning(
                f"released the deploy lock held by {released.deploy_id} ({released.holder})"
            )
    journal.acquire(op.op_id, holder=rt.ctx.actor, run_url=rt.ctx.run_url)
    keep = False
    try:
        rows = journal.history()
        for step in history.unfinished_steps(rows, op.op_id):
            journal.record(op.row(step, "abandoned", detail="the process running this step died; resumed"))
        yield rows
    except BaseException as exc:
        keep = isinstance(exc, LockKept)
        if not op.finished and not keep:  # kept: not finished, the re-run with the same id completes it
            try:
                op.record(op.row(history.FINISH, "failed", error=str(exc)[:2000] or type(exc).__name__))
            except Exception:  # the original error matters more than a journal row we could not write
                log.exception("could not journal the failure of %s", op.op_id)
        raise
    finally:
        if not keep:
            journal.release(op.op_id)


class LockKept(PipelineOpsError):
    """An error after which the operation keeps the deploy lock: production may be in a state the journal
    does not describe (e.g. a cutover interrupted between schema swaps whose outcome could not be read), so
    no other operation may start from the journal; a re-run with the same id completes it."""


def check_reuse(progress: history.Progress, op: Operation, *, option: str) -> None:
    """An id names one operation: refuse it for another kind or another git sha."""
    if progress.kind is not None and progress.kind != op.kind:
        raise UserError(
            f"{option} {op.op_id} is already the id of a {progress.kind} in {op.rt.ctx.env_name}",
            why="a re-run with the same id finishes that operation; it never starts a different one",
            fix=f"pass a new {option} (or leave it out for a fresh one)",
            runbook="deploy-lock.md",
        )
    if op.kind == "deploy" and progress.git_sha and op.git_sha and progress.git_sha != op.git_sha:
        raise UserError(
            f"deploy {op.op_id} was started for git sha {progress.git_sha[:12]}, not {op.git_sha[:12]}",
            why="a re-run with the same deploy id finishes that deploy; it never ships another commit",
            fix="pass a new --deploy-id to deploy this commit",
            runbook="deploy-lock.md",
        )


def refuse_ended(progress: history.Progress, op: Operation, *, option: str) -> None:
    """A rollback or restore that ended without finishing is not started again under its id: what it
    would do now (the state has moved on) is another operation."""
    if progress.finished == "failed":
        raise CheckFailed(
            f"{op.kind} {op.op_id} already ended without finishing: {progress.error or 'failed'}",
            why="a re-run with the same id finishes that operation; it never starts a different one",
            fix=f"start a new {op.kind} with a new {option} (or leave it out) if one is still needed",
            runbook="rollback.md",
        )


def production_unchanged(rt: Runtime, before: history.Publication | None, env_name: str) -> str:
    """``production is unchanged: …`` when the journal's live publication is still ``before``; else ""."""
    try:
        after = history.live(rt.journal.history()) if before is not None else None
    except Exception:  # the journal cannot be read now: say nothing about production
        return ""
    if before is None or after != before:
        return ""
    return f"production is unchanged: {build_name(before)} still serves {env_name}"
