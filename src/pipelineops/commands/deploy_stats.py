"""What a deploy records after it publishes, for the on-call and audit views: each published model's row
count (``pipelineops anomaly``) and the commit time of its git sha (the lead time of ``status --since``).

One call from the deploy path. Best effort: the deploy has already succeeded, so a failure is a warning."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pipelineops.commands import anomaly, audit
from pipelineops.commands.runtime import Runtime
from pipelineops.plan.history import Colour

log = logging.getLogger(__name__)


def record_published(
    rt: Runtime, manifest: Mapping[str, Any], colour: Colour, deploy_id: str, git_sha: str
) -> None:
    anomaly.record_published(rt, manifest, colour, deploy_id)
    try:
        audit.record_commit(rt, deploy_id, git_sha)
    except Exception as exc:  # never fail a published deploy over its statistics
        log.warning("could not record the commit time of deploy %s: %s", deploy_id, exc)
        rt.ctx.reporter.warning(f"commit time of deploy {deploy_id} not recorded: {exc}")
