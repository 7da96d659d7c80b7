"""``pipelineops status``: the live colour, recent deploys and the deploy lock of one environment."""

from __future__ import annotations

from collections.abc import Mapping

from pipelineops.commands import alerts
from pipelineops.commands import audit as deliveries
from pipelineops.commands import deploy_facts as facts
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.plan import audit, history
from pipelineops.report.model import Section, StageReport
from pipelineops.report.reporter import Reporter


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
    finally:
        rt.close()
    if holder is not None:  # the webhook, when configured, hears of a lock held too long
        alerts.lock_held(
            environment=env_name,
            holder=f"deploy {holder.deploy_id} ({holder.holder})",
            acquired_at=holder.acquired_at,
            now=rt.ctx.clock(),
            environ=environ,
            reporter=reporter,
            run_url=rt.ctx.run_url,
        )
    current = history.live(rows)
    lineage = history.lineage(rows)
    serving = lineage.serving
    pubs = history.publications(rows)[-limit:]
    lock = (
        "free"
        if holder is None
        else f"held by {holder.deploy_id} ({holder.holder}) since {holder.acquired_at}"
    )
    fact_rows: list[tuple[str, str]] = [
        ("environment", env_name),
        ("live colour", current.colour if current else "none"),
        (
            "live deploy",
            f"{current.deploy_id} ({current.kind}, {current.git_sha[:12]})" if current else "none",
        ),
        (
            "serving build",
            f"deploy {serving.deploy_id} ({serving.git_sha[:12]})" if serving else "none",
        ),
        (
            "rollback target",
            f"deploy {lineage.good[-2].deploy_id} (the previous good build)"
            if len(lineage.good) >= 2
            else "none: no earlier good build",
        ),
        ("deploy lock", lock),
    ]
    sections = [
        Section(
            "Recent publications",
            ("deploy id", "kind", "colour", "git sha", "actor", "at"),
            tuple(
                (p.deploy_id, p.kind, p.colour, p.git_sha[:12], p.actor, str(p.at)) for p in reversed(pubs)
            ),
        )
    ]
    if holder is not None:
        sections.append(
            Section(
                "Deploy lock",
                text=f"Held by {holder.deploy_id} ({holder.holder}). If that run is dead, re-run it with its id "
                f"to finish it (--deploy-id {holder.deploy_id} or --rollback-id {holder.deploy_id}), or release "
                f"it with\n  pipelineops bluegreen-swap --env {env_name} --force-unlock\n"
                "(which then deploys; the release is recorded in DEPLOY_STATE).",
            )
        )
    if delivery is not None:
        days = delivery.since.total_seconds() / 86400
        sections.append(
            Section(f"Delivery, last {days:g} days (DORA)", ("metric", "value"), delivery.facts())
        )
    return StageReport(
        stage="status",
        conclusion="success",
        title=f"{env_name}: {current.colour if current else 'nothing'} is live; lock {('free' if holder is None else 'HELD')}",
        facts=tuple(fact_rows),
        sections=tuple(sections),
        outputs=(
            ("live-colour", current.colour if current else ""),
            ("lock-holder", holder.deploy_id if holder else ""),
        ),
        data={
            "live": current.__dict__ if current else None,
            "lock": holder.__dict__ if holder else None,
            **({"delivery": _delivery_data(delivery)} if delivery is not None else {}),
        },
    )


def _delivery_data(d: audit.Delivery) -> dict[str, object]:
    return {
        "since_hours": d.since.total_seconds() / 3600,
        "deploys": d.deploys,
        "deploys_per_day": d.per_day,
        "lead_time_hours": d.lead_time_h,
        "change_failure_rate": d.failure_rate,
        "failures": d.failures,
        "attempts": d.attempts,
        "time_to_restore_hours": d.restore_h,
        "daily": [[day.isoformat(), n] for day, n in d.daily],
    }
