"""The status of one environment, rendered from its journal rows and lock holder: what serves it, whether a
rollback is possible, the deploy lock, recent publications and blocked deploys, each with its age and a link
to its run. Pure: ``commands/status.py`` reads the warehouse and calls ``status_report``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pipelineops.plan import audit, history, slim_deploy
from pipelineops.plan.history import LockHolder
from pipelineops.report import advice
from pipelineops.report.model import Advice, Annotation, Cell, Link, Section, StageReport, format_age

Rows = Sequence[Mapping[str, object]]


def _age(at: object, now: datetime) -> str:
    """``2026-12-06 04:10 UTC (3 h ago)``; the raw value when it is not a timestamp."""
    if not isinstance(at, datetime):
        return str(at or "-")
    when = at if at.tzinfo else at.replace(tzinfo=UTC)
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({format_age((moment - when).total_seconds())})"


def _run_cell(label: str, url: object) -> Cell:
    """A link to a run: labelled ``label`` in tables; ``open the run`` as a fact when ``label`` is the
    fallback text for a run that was not recorded."""
    if not url:
        return label
    return Link("open the run" if label == "not recorded" else label, str(url))


def _blocked(rows: Rows, after: int) -> list[Mapping[str, object]]:
    """The ``finish … failed`` rows of deploys journalled after row ``after`` (the live publication)."""
    return [
        r
        for r in rows[after + 1 :]
        if r.get("step") == history.FINISH and r.get("status") == "failed" and r.get("kind") == "deploy"
    ]


def _lock_advice(holder: LockHolder, kind: str, env: str, where: advice.Where) -> Advice:
    """Finish the holder's own operation: that never starts another deploy or rollback."""
    if where.actions_url and holder.run_url:
        return Advice(
            f"If the holder's run is still going, wait for it. If it died (cancelled, timed out), re-run it: "
            f"a re-run resumes {kind} {holder.deploy_id} with its own id, finishes or stops it, and releases "
            "the lock. Its run:",
            link=Link(f"run of {holder.deploy_id}", holder.run_url),
            level="warning",
        )
    option = "--rollback-id" if kind == "rollback" else "--deploy-id"
    stage = "rollback" if kind == "rollback" else "bluegreen-swap"
    return Advice(
        f"If {kind} {holder.deploy_id} is still running, wait for it. If it died, finish it with its own id "
        "(this resumes that operation and releases the lock; it starts nothing new):",
        command=f"pipelineops {stage} --env {env} {option} {holder.deploy_id}",
        level="warning",
    )


def status_report(
    env_name: str,
    rows: Rows,
    holder: LockHolder | None,
    *,
    now: datetime,
    environ: Mapping[str, str],
    limit: int = 10,
    delivery: audit.Delivery | None = None,
) -> StageReport:
    """The status of ``env_name`` from its journal ``rows`` and lock ``holder``. Pure."""
    where = advice.where_from(environ, env_name)
    current = history.live(rows)
    serving = history.lineage(rows).serving
    pubs = history.publications(rows)[-limit:]
    target, why_not = advice.rollback_target(rows)
    kinds = {str(r.get("deploy_id")): str(r.get("kind") or "deploy") for r in rows}
    fact_rows: list[tuple[str, Cell]] = [("environment", env_name)]
    if current is None:
        fact_rows.append(("serving build", "none: nothing is published yet"))
    else:
        fact_rows.append(("serving build", advice.build_name(serving or current)))
        if current.kind != "deploy":
            fact_rows.append(("published by", f"rollback {current.deploy_id}"))
        fact_rows.append(("since", _age(current.at, now)))
        fact_rows.append(("its run", _run_cell("not recorded", rows[current.index].get("run_url"))))
    fact_rows += serving_mode(rows, serving.deploy_id if serving else None)
    fact_rows.append(
        ("rollback", f"possible: to {advice.build_name(target)}" if target else f"not possible: {why_not}")
    )
    annotations: list[Annotation] = []
    advice_items: list[Advice] = []
    if holder is None:
        fact_rows.append(("deploy lock", "free"))
    else:
        kind = kinds.get(holder.deploy_id, "deploy")
        fact_rows.append(
            (
                "deploy lock",
                f"⚠️ HELD by {kind} {holder.deploy_id} ({holder.holder}) since "
                f"{_age(holder.acquired_at, now)}",
            )
        )
        fact_rows.append(("lock holder's run", _run_cell("not recorded", holder.run_url)))
        annotations.append(
            Annotation(
                "warning",
                f"the {env_name} deploy lock is held by {kind} {holder.deploy_id}: deploys and rollbacks wait",
                title="deploy lock held",
            )
        )
        advice_items.append(_lock_advice(holder, kind, env_name, where))
    if target is None and current is not None:
        advice_items.append(
            Advice(
                f"No re-publish is possible: {why_not}; time travel restores single tables ({advice.RUNBOOK})."
            )
        )
    sections = [
        Section(
            "Recent publications",
            ("id", "kind", "colour", "serves", "git sha", "actor", "when"),
            tuple(
                (
                    _run_cell(p.deploy_id, rows[p.index].get("run_url")),
                    p.kind,
                    p.colour,
                    p.serves or p.deploy_id,
                    p.git_sha[:12],
                    p.actor,
                    _age(p.at, now),
                )
                for p in reversed(pubs)
            ),
        )
    ]
    blocked = _blocked(rows, current.index if current else -1)
    if blocked:
        sections.insert(
            0,
            Section(
                f"{len(blocked)} deploy(s) blocked since the live publication",
                ("deploy id", "git sha", "why", "when"),
                tuple(
                    (
                        _run_cell(str(r.get("deploy_id")), r.get("run_url")),
                        str(r.get("git_sha") or "")[:12],
                        str(r.get("error") or "-")[:300],
                        _age(r.get("finished_at") or r.get("started_at"), now),
                    )
                    for r in reversed(blocked[-limit:])
                ),
            ),
        )
    if delivery is not None:
        days = delivery.since.total_seconds() / 86400
        sections.append(
            Section(f"Delivery, last {days:g} days (DORA)", ("metric", "value"), delivery.facts())
        )
    live_text = (
        f"{current.colour} is live (deploy {serving.deploy_id if serving else current.deploy_id})"
        if current
        else "nothing is live"
    )
    return StageReport(
        stage="status",
        conclusion="success" if holder is None else "neutral",
        title=f"{env_name}: {live_text}; lock {'free' if holder is None else 'HELD'}",
        facts=tuple(fact_rows),
        advice=tuple(advice_items),
        annotations=tuple(annotations),
        sections=tuple(sections),
        outputs=(
            ("live-colour", current.colour if current else ""),
            ("serving-deploy", serving.deploy_id if serving else ""),
            ("lock-holder", holder.deploy_id if holder else ""),
        ),
        data={
            "live": current.__dict__ if current else None,
            "serving": serving.__dict__ if serving else None,
            "rollback_target": target.deploy_id if target else None,
            "lock": holder.__dict__ if holder else None,
            "blocked": [dict(r) for r in blocked],
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


def serving_mode(rows: Sequence[Mapping[str, object]], deploy_id: str | None) -> list[tuple[str, str]]:
    """How the build readers see was deployed: slim (built, carried) or full (and why)."""
    if deploy_id is None:
        return []
    return [(f"serving build {k}", v) for k, v in slim_deploy.summary(slim_deploy.record_of(rows, deploy_id))]
