"""``pipelineops status``: the live colour, recent deploys and the deploy lock of one environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelineops.commands import deploy_facts as facts
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.plan import history, slim_deploy
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
) -> StageReport:
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
    finally:
        rt.close()
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
    fact_rows += serving_mode(rows, serving.deploy_id if serving else None)
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
        data={"live": current.__dict__ if current else None, "lock": holder.__dict__ if holder else None},
    )


def serving_mode(rows: Sequence[Mapping[str, object]], deploy_id: str | None) -> list[tuple[str, str]]:
    """How the build readers see was deployed: slim (built, carried) or full (and why)."""
    if deploy_id is None:
        return []
    return [(f"serving build {k}", v) for k, v in slim_deploy.summary(slim_deploy.record_of(rows, deploy_id))]
