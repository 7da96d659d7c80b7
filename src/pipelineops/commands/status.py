"""``pipelineops status``: what serves one environment, whether a rollback is possible, the deploy lock,
recent publications and blocked deploys, each with its age and a link to its run."""

from __future__ import annotations

from collections.abc import Mapping

from pipelineops.commands import alerts
from pipelineops.commands import audit as deliveries
from pipelineops.config import Config
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import audit
from pipelineops.report.model import StageReport
from pipelineops.report.reporter import Reporter
from pipelineops.report.status import status_report


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    limit: int = 10,
    since: str | None = None,
) -> StageReport:
    window = audit.parse_since(since) if since else None  # bad input fails before the warehouse opens
    rt = Runtime.open(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage="status",
        create_warehouse=False,  # status only reads
    )
    try:
        if config.journal_schema not in facts.schemas(rt.engine):
            return StageReport(
                stage="status",
                conclusion="neutral",
                title=f"No deploy has run in {env_name} yet (no {config.journal_schema}.DEPLOY_STATE)",
                facts=(("environment", env_name),),
            )
        rows = rt.journal.history()
        holder = rt.journal.holder()
        delivery = deliveries.delivery(rt, window) if window else None
        now = rt.ctx.clock()
    finally:
        rt.close()
    if holder is not None:  # the webhook, when configured, hears of a lock held too long
        alerts.lock_held(
            environment=env_name,
            holder=f"deploy {holder.deploy_id} ({holder.holder})",
            acquired_at=holder.acquired_at,
            now=now,
            environ=environ,
            reporter=reporter,
            run_url=rt.ctx.run_url,
        )
    return status_report(env_name, rows, holder, now=now, environ=environ, limit=limit, delivery=delivery)
