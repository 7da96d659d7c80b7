"""``pipelineops anomaly``: each published model's newest row count against its trailing history.

Every deploy records the row count of each model it published in ``DEPLOY_ROW_COUNTS`` (``record_published``,
called once by the deploy after it publishes); ``--record`` (the scheduled workflow) records the counts of
the consumer views first. The verdicts come from ``plan.anomaly``; ``gate`` is the ``checks.anomaly``
pre-cutover gate, judging the idle colour's counts before they are published. Without ``--record`` the stage
only reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pipelineops.commands import alerts
from pipelineops.commands import deploy_facts as facts
from pipelineops.commands.runtime import Runtime
from pipelineops.config import Config
from pipelineops.engines.base import first_value
from pipelineops.plan import anomaly, gates
from pipelineops.plan.history import Colour
from pipelineops.plan.sql import common as sql
from pipelineops.plan.sql import row_counts as rsql
from pipelineops.report.model import Annotation, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
STAGE = "anomaly"


def _table_exists(rt: Runtime) -> bool:
    schema = rt.ctx.config.journal_schema
    if schema not in facts.schemas(rt.engine):
        return False
    return rsql.ROW_COUNTS in {n.upper() for n in facts.existing_relations(rt.engine, schema)}


def recorded(rt: Runtime) -> list[anomaly.Count]:
    """Every recorded count of the environment, oldest first; none before the first deploy recorded any."""
    if not _table_exists(rt):
        return []
    return [
        anomaly.Count(str(r["model"]), int(str(r["row_count"])), str(r["recorded_at"]), str(r["deploy_id"]))
        for r in rt.journal.row_counts()
    ]


def record_published(rt: Runtime, manifest: Mapping[str, Any], colour: Colour, deploy_id: str) -> None:
    """After a publish: record the row count of every model the deploy published (``colour``).

    Best effort: the deploy has already succeeded, so a failure here is logged as a warning and the
    anomaly stage later says the deploy's counts are missing rather than failing the deploy."""
    try:
        published = facts.published_relations(manifest, rt.ctx.config.consumer_schemas)
        counts = facts.row_counts(rt.engine, published, colour)
        rt.journal.record_row_counts(deploy_id, counts, source="deploy")
    except Exception as exc:  # never fail a published deploy over its statistics
        log.warning("could not record row counts of deploy %s: %s", deploy_id, exc)
        rt.ctx.reporter.warning(f"row counts of deploy {deploy_id} not recorded: {exc}")


def gate(rt: Runtime, idle_counts: Mapping[str, int]) -> list[gates.GateResult]:
    """``checks.anomaly``: the idle colour's counts against the recorded history, before publishing."""
    return anomaly.gate_results(anomaly.judge_observed(recorded(rt), idle_counts, rt.ctx.config.anomaly))


def _live_counts(rt: Runtime, models: Sequence[str]) -> dict[str, int]:
    """Row counts of the consumer views of ``models`` (``schema.model``) that exist now."""
    out: dict[str, int] = {}
    present = facts.schemas(rt.engine)
    for model in models:
        schema, _, name = model.partition(".")
        if schema.upper() not in present:
            continue
        if name.upper() not in {n.upper() for n in facts.existing_relations(rt.engine, schema.upper())}:
            continue
        rel = sql.Relation(rt.engine.database, schema.upper(), name)
        out[model] = int(str(first_value(rt.engine.query(sql.row_count(rel, rt.engine.dialect)))))
    return out


def _annotations(verdicts: Sequence[anomaly.Verdict]) -> tuple[Annotation, ...]:
    return tuple(
        Annotation("error", f"{v.model}: {v.reason}", title="row-count anomaly")
        for v in verdicts
        if v.status == "anomaly"
    )


def _verdict_data(v: anomaly.Verdict) -> dict[str, object]:
    return {
        "model": v.model,
        "status": v.status,
        "observed": v.observed,
        "expected_low": v.low,
        "expected_high": v.high,
        "robust_z": None if v.z is None else round(v.z, 3),
        "history": v.history,
        "reason": v.reason,
    }


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    record: bool = False,
) -> StageReport:
    started = time.monotonic()
    rt = Runtime.open(
        config=config,
        env_name=env_name,
        dry_run=dry_run,
        reporter=reporter,
        environ=environ,
        stage=STAGE,
        create_warehouse=False,
    )
    try:
        counts = recorded(rt)
        run_id = environ.get("GITHUB_RUN_ID", "")
        recording = f"gh-{run_id}-anomaly" if run_id else f"scheduled-{rt.ctx.clock():%Y%m%dT%H%M%S%f}"
        if dry_run:
            select = rsql.select_counts(
                rt.engine.database, config.journal_schema, env_name, rt.engine.dialect
            )
            text = select + (
                f"\n-- then record the row count of each consumer view as {recording}" if record else ""
            )
            return StageReport(
                stage=STAGE,
                conclusion="skipped",
                title=f"Dry run: would judge the row counts recorded in {env_name} (nothing was run)",
                facts=(("environment", env_name), ("record first", "yes" if record else "no")),
                sections=(Section("SQL", text=text),),
                duration_s=time.monotonic() - started,
                data={"sql": text, "record": record},
            )
        if record and counts:
            live = _live_counts(rt, sorted(anomaly.series(counts)))
            rt.journal.record_row_counts(recording, live, source="scheduled")
            counts = recorded(rt)
    finally:
        rt.close()
    verdicts = anomaly.judge_newest(counts, config.anomaly)
    summary = anomaly.summarise(verdicts)
    sections = [Section("Row counts", anomaly.HEADERS, tuple(v.row() for v in verdicts))]
    reasons = tuple((v.model, v.reason) for v in verdicts)
    if reasons:
        sections.append(Section("Why", ("model", "reason"), reasons, collapsed=True))
    if summary.failed:
        sections.append(
            Section(
                "What to do",
                text="A sudden drop or spike in a published model's row count usually comes from the loader "
                "(a partial or duplicated load) or from a model change (a join that fans out or filters "
                "too much). Compare with the source, then roll back or re-run the load. "
                f"Runbook: runbooks/{anomaly.RUNBOOK}",
            )
        )
    report = StageReport(
        stage=STAGE,
        conclusion="failure" if summary.failed else ("neutral" if not summary.total else "success"),
        title=f"{env_name}: {summary.title}",
        facts=(
            ("environment", env_name),
            ("models", str(summary.total)),
            ("window / min history / threshold", _defaults(config)),
        ),
        sections=tuple(sections),
        annotations=_annotations(verdicts),
        outputs=summary.outputs(),
        duration_s=time.monotonic() - started,
        data={"verdicts": [_verdict_data(v) for v in verdicts], "recorded": record},
    )
    return alerts.on_report(rt.ctx, report, event="anomaly")  # the webhook, when configured


def _defaults(config: Config) -> str:
    d = config.anomaly.default
    return f"{d.window} / {d.min_history} / {d.threshold:g}"
