"""The delivery numbers (DORA) of an environment: read the journal, compute with ``plan.audit``.

Used by ``pipelineops status --since`` and by the deploy, which appends them (with a chart) to its step
summary. The commit time of a published git sha, for the lead time, is recorded by the deploy
(``execute/deploy_stats.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import audit
from pipelineops.plan.sql import row_counts as rsql
from pipelineops.report.delivery import render_delivery

log = logging.getLogger(__name__)
SUMMARY_WINDOW = timedelta(days=30)


def committed(rt: Runtime) -> dict[str, datetime]:
    schema = rt.ctx.config.journal_schema
    if rsql.COMMITS not in {n.upper() for n in facts.existing_relations(rt.engine, schema)}:
        return {}
    out = {}
    for r in rt.journal.commits():
        at = audit.as_time(r.get("committed_at"))
        if at is not None:
            out[str(r["deploy_id"])] = at
    return out


def delivery(rt: Runtime, since: timedelta) -> audit.Delivery:
    """The numbers over the last ``since`` (the journal schema must exist)."""
    return audit.delivery(rt.journal.history(), now=rt.ctx.clock(), since=since, committed=committed(rt))


def summary_markdown(rt: Runtime) -> str:
    """The deploy summary's delivery block; empty (with a warning in the log) when it cannot be read."""
    try:
        if rt.ctx.config.journal_schema not in facts.schemas(rt.engine):
            return ""
        return render_delivery(delivery(rt, SUMMARY_WINDOW), rt.ctx.env_name)
    except Exception as exc:  # the deploy has finished: its statistics never change its outcome
        log.warning("delivery numbers not computed: %s", exc)
        return ""


def publish_summary(rt: Runtime) -> None:
    """Append the delivery block (four numbers and a Mermaid chart) to the step summary."""
    text = summary_markdown(rt)
    if text:
        rt.ctx.reporter.summary(text)
