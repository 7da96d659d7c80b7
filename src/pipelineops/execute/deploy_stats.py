"""What a deploy records after it publishes, for the on-call and audit views: each published model's row
count (``pipelineops anomaly``) and the commit time of its git sha (the lead time of ``status --since``).

One call from the deploy path. Best effort: the deploy has already succeeded, so a failure is a warning."""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelineops.execute import row_counts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import audit
from pipelineops.plan.history import Colour

log = logging.getLogger(__name__)
SHA = re.compile(r"[0-9a-fA-F]{7,64}")


def record_published(
    rt: Runtime, manifest: Mapping[str, Any], colour: Colour, deploy_id: str, git_sha: str
) -> None:
    row_counts.record_published(rt, manifest, colour, deploy_id)
    try:
        record_commit(rt, deploy_id, git_sha)
    except Exception as exc:  # never fail a published deploy over its statistics
        log.warning("could not record the commit time of deploy %s: %s", deploy_id, exc)
        rt.ctx.reporter.warning(f"commit time of deploy {deploy_id} not recorded: {exc}")


def commit_time(root: Path, sha: str) -> datetime | None:
    """When ``sha`` was committed, from the git checkout at ``root``; None when git does not know it."""
    if not SHA.fullmatch(sha):
        return None
    try:
        out = subprocess.run(
            ["git", "show", "-s", "--format=%cI", sha, "--"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return audit.as_time(out.stdout.strip())


def record_commit(rt: Runtime, deploy_id: str, git_sha: str) -> None:
    """Record the commit time of the sha a deploy published (nothing when git does not know it)."""
    committed = commit_time(rt.ctx.config.root, git_sha)
    if committed is not None:
        rt.journal.record_commit(deploy_id, git_sha, committed)
