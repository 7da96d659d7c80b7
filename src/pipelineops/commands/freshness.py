"""``pipelineops freshness``: ``dbt source freshness`` for one environment, judged against the sources' SLAs.

Read-only: it runs one dbt command (printed, not run, with ``--dry-run``), reads ``sources.json`` and
reports each source (``plan.freshness``). Nothing is written to the warehouse or the journal.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Mapping, Sequence

from pipelineops.commands import alerts
from pipelineops.config import Config
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.execute.freshness import check_sources
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import freshness
from pipelineops.report.model import Advice, Annotation, Section, StageReport
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
STAGE = "freshness"


def _fail_on(value: str) -> freshness.FailOn:
    for level in freshness.FAIL_ON:
        if value == level:
            return level
    raise UserError(
        f"--fail-on {value!r} is not one of {', '.join(freshness.FAIL_ON)}",
        fix="use --fail-on error (fail only past error_after; the default) or --fail-on warn",
        runbook=freshness.RUNBOOK,
    )


def _annotations(judged: Sequence[freshness.Judged]) -> tuple[Annotation, ...]:
    out = []
    for j in judged:
        if j.verdict == "pass":
            continue
        age = j.source.age_hours
        when = f"; last load {age:.1f} h ago" if age is not None else ""
        out.append(
            Annotation(
                "error" if j.fails else "warning",
                f"{j.source.name}: {j.sla}{when}",
                title="source freshness",
            )
        )
    return tuple(out)


def _source_data(j: freshness.Judged) -> dict[str, object]:
    s = j.source
    return {
        "unique_id": s.outcome.unique_id,
        "source": s.name,
        "status": s.outcome.status,
        "max_loaded_at": s.max_loaded_at,
        "age_hours": s.age_hours,
        "warn_after": {"count": s.warn_after.count, "period": s.warn_after.period},
        "error_after": {"count": s.error_after.count, "period": s.error_after.period},
        "sla": j.sla,
        "fails": j.fails,
        "error": s.outcome.error,
    }


def run(
    *,
    config: Config,
    env_name: str,
    dry_run: bool,
    reporter: Reporter,
    environ: Mapping[str, str],
    select: str | None = None,
    fail_on: str = "error",
) -> StageReport:
    started = time.monotonic()
    # Bad input fails here, before a warehouse session is opened or dbt runs.
    level = _fail_on(fail_on)
    selected = freshness.parse_select(select)
    args = freshness.dbt_args(selected)
    shown = "dbt " + shlex.join(args)
    rt = Runtime.open(
        config=config, env_name=env_name, dry_run=dry_run, reporter=reporter, environ=environ, stage=STAGE
    )
    try:
        if dry_run:
            command = shlex.join(rt.dbt(STAGE).command(args))
            return StageReport(
                stage=STAGE,
                conclusion="skipped",
                title=f"Dry run: would check source freshness in {env_name} (nothing was run)",
                facts=(("environment", env_name), ("dbt command", shown), ("fail on", level)),
                sections=(Section("dbt command", text=command),),
                duration_s=time.monotonic() - started,
                data={"command": command, "select": list(selected), "fail_on": level},
            )
        sources, returncode, raw_results = check_sources(rt, args, name=STAGE)
    finally:
        rt.close()
    if not sources and returncode != 0:
        raise PipelineOpsError(
            f"{shown} failed before checking any source (dbt exit code {returncode})",
            fix=f"run `{shown} --target {config.environment(env_name).dbt_target}` in the dbt project and "
            "fix the error it names",
            runbook=freshness.RUNBOOK,
        )
    if not sources and selected:
        raise UserError(
            f"--select {' '.join(selected)!r} matched no source with a freshness check",
            why="dbt checks only sources that declare `freshness:` (warn_after/error_after) and a loaded_at "
            "field or query",
            fix="select sources as source:<source name>[.<table>], e.g. --select source:carrier.shipments; "
            "`dbt ls --resource-type source` lists them",
            runbook=freshness.RUNBOOK,
        )
    judged = freshness.judge(sources, level)
    summary = freshness.summarise(judged, level)
    sections = [Section("Sources", freshness.HEADERS, tuple(j.row() for j in judged))]
    advice = []
    if summary.late:
        advice.append(
            "A late source is a loader problem, not a deploy problem: find out whether the loader ran, tell "
            "its owner, and re-run this check once it has."
        )
    if summary.failed_queries:
        advice.append(
            "A failed freshness query usually means the table is missing or the role cannot read it: run "
            "the dbt command above by hand and check the grants (runbooks/snowflake-grants.md)."
        )
    if advice:
        advice.append(f"Runbook: runbooks/{freshness.RUNBOOK}")
    report = StageReport(
        stage=STAGE,
        advice=tuple(Advice(text) for text in advice),
        conclusion="failure" if summary.failed else ("neutral" if not summary.total else "success"),
        title=f"{env_name}: {summary.title}",
        facts=(
            ("environment", env_name),
            ("dbt command", shown),
            ("fail on", level),
            ("sources checked", str(summary.total)),
        ),
        sections=tuple(sections),
        annotations=_annotations(judged),
        outputs=summary.outputs(),
        duration_s=time.monotonic() - started,
        data={
            "fail_on": level,
            "select": list(selected),
            "sources": [_source_data(j) for j in judged],
            "results": raw_results,  # dbt's sources.json results, as written
        },
    )
    return alerts.on_report(rt.ctx, report, event="freshness-breach")  # the webhook, when configured
