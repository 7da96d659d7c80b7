"""The three kinds of failure and their exit codes (STYLE.md §4).

``CheckFailed`` → 1: a gate did its job. ``UserError`` → 2: bad input, config, grants or secrets.
Anything else → 3: a bug or an outage. Ctrl-C → 130. Only ``cli.py`` turns these into an exit.
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130

RUNBOOK_BASE = "runbooks/"


class PipelineOpsError(Exception):
    """A failure we understand: it says what failed, why, the fix, and where to read more."""

    exit_code = EXIT_UNEXPECTED
    #: what readers see after the failure, when the command checked it (``production is unchanged: …``)
    production: str = ""

    def __init__(self, what: str, *, why: str = "", fix: str = "", runbook: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.why = why
        self.fix = fix
        self.runbook = runbook

    def render(self) -> str:
        """One line of cause, then the why, the fix and the runbook, each on its own line when set."""
        lines = [self.what]
        if self.why:
            lines.append(f"  why: {self.why}")
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        if self.runbook:
            lines.append(f"  runbook: {RUNBOOK_BASE}{self.runbook}")
        return "\n".join(lines)


class CheckFailed(PipelineOpsError):
    """A gate stopped the pipeline on purpose: failing tests, a parity mismatch, a precondition not met."""

    exit_code = EXIT_CHECK_FAILED


class UserError(PipelineOpsError):
    """Bad input, configuration, credentials or grants: the user can fix it."""

    exit_code = EXIT_USER_ERROR


class WarehouseBusy(UserError):
    """Another process holds the local warehouse, or another deploy holds the deploy lock."""


_DENIED = re.compile(
    r"""(?:Permission denied|Read-only file system)(?:: '(?P<a>[^']+)')?|"(?P<b>[^"]+)": (?:Permission denied|Read-only file system)"""
)


def permission_error(text: str, path: str | None = None) -> UserError | None:
    """A file-system refusal (EACCES, EPERM, EROFS) as a user error naming the path and the fix, or None."""
    match = _DENIED.search(text)
    if match is None:
        return None
    where = path or match.group("a") or match.group("b") or "a file of the warehouse or the run folder"
    return UserError(
        f"permission denied: {where}",
        why="the user running pipelineops cannot write there (read-only file system, or another owner)",
        fix=f"make {where} writable by this user (e.g. `chown -R $(id -u) <folder>`), or point "
        "environments.<env>.local_dir (or --comment-file) at a writable folder",
        runbook="local-engine.md",
    )
