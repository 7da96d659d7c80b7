"""``pipelineops anomaly``: each published model's newest row count against its trailing history.

Every deploy records the row count of each model it published in ``DEPLOY_ROW_COUNTS``
(``execute/row_counts.py`` ``record_published``, called once by the deploy after it publishes); ``--record``
(the scheduled workflow) records the counts of the consumer views first. The verdicts come from
``plan.anomaly``; the ``checks.anomaly`` pre-cutover gate (``execute/row_counts.py`` ``gate``) judges the idle
colour's counts before they are published. Without ``--record`` the stage only reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from pipelineops.commands import alerts
from pipelineops.config import Config
from pipelineops.execute import row_counts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import anomaly
from pipelineops.plan.sql import row_counts as rsql
from pipelineops.report.model import Annotation, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
STAGE = "anomaly"


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
        counts = row_counts.recorded(rt)
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
            live = row_counts.live_counts(rt, sorted(anomaly.series(counts)))
            rt.journal.record_row_counts(recording, live, source="scheduled")
            counts = row_counts.recorded(rt)
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
