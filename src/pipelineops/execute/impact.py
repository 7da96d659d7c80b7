"""Column-aware narrowing for slim-ci (``--impact columns``): the SQL it needs, then ``plan/impact``.

The PR side: one ``dbt compile`` of state:modified+ (deferring like the build). The production side:
the compiled code the deploy published (``plan/published_sql.py``), else production's raw code of each
modified model compiled with ``dbt compile --inline`` in the PR's project (incremental models, manifests
of older deploys). Anything that fails here keeps today's selection, with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipelineops.dbt.artifacts import load_json
from pipelineops.dbt.runner import DbtRunner
from pipelineops.plan import impact as im
from pipelineops.plan import slim_ci as plan
from pipelineops.plan.sql import Dialect
from pipelineops.report.reporter import Reporter

log = logging.getLogger(__name__)
INLINE_LIMIT = 10  # production models recompiled one dbt invocation each; more: kept conservatively


@dataclass(frozen=True)
class Narrowing:
    impact: im.Impact | None  # None: not narrowed (the reason is in ``note``)
    seconds: float
    note: str = ""


def candidates(explained: Sequence[plan.Explained]) -> tuple[im.Candidate, ...]:
    return tuple(
        im.Candidate(e.unique_id, e.role != "downstream", e.reasons, explained=e.role != "selected")
        for e in explained
    )


def narrow(
    runner: DbtRunner,
    reporter: Reporter,
    *,
    state_dir: str,
    state_manifest: Mapping[str, Any],
    explained: Sequence[plan.Explained],
    pr_facts: plan.ManifestFacts,
    vars_json: str,
    favor_state: bool,
    dialect: Dialect,
) -> Narrowing:
    started = time.monotonic()
    with reporter.group("dbt compile --select state:modified+ (column-aware narrowing)"):
        result = runner.run(
            plan.compile_args(state_dir, vars_json, favor_state=favor_state), on_line=reporter.tool_output
        )
    if not result.ok:
        note = "column-aware narrowing skipped: dbt compile failed, so every state:modified+ node builds"
        reporter.warning(note, title="pipelineops slim-ci")
        return Narrowing(None, time.monotonic() - started, note)
    pr_sql = im.sql_facts(load_json(result.target_path / "manifest.json"))
    state_sql = im.sql_facts(state_manifest)
    chosen = candidates(explained)
    wanted, notes = im.inline_candidates(chosen, pr_facts, state_sql, INLINE_LIMIT)
    raw = {uid: str(n.get("raw_code") or "") for uid, n in state_manifest.get("nodes", {}).items()}
    for uid in wanted:
        lines: list[str] = []
        with reporter.group(f"dbt compile --inline (production's {uid.split('.')[-1]})"):
            done = runner.run(plan.inline_args(raw[uid], state_dir, vars_json), on_line=lines.append)
        compiled = plan.inline_sql(lines) if done.ok else None
        if compiled is not None:
            state_sql[uid] = replace(state_sql[uid], compiled=compiled)
    impact = im.analyse(chosen, pr=pr_facts, pr_sql=pr_sql, state_sql=state_sql, dialect=dialect)
    impact = replace(impact, notes=(*notes, *impact.notes))
    seconds = time.monotonic() - started
    reporter.info(f"column-aware narrowing ({seconds:.1f} s): {im.totals(impact)}")
    return Narrowing(impact, seconds)
