"""Pre-cutover gates of a deploy: gather facts from dbt and the warehouse, judge them with ``plan.gates``.

Each gate is pluggable through ``checks:`` in pipelineops.yml: dbt tests, row-count delta against the live
colour, non-empty, the row-count anomaly check against the recorded history, the contract of consumed
columns, and source freshness.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipelineops.dbt.artifacts import exposure_columns
from pipelineops.errors import PipelineOpsError
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute import row_counts
from pipelineops.execute.freshness import check_sources
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import freshness as freshness_plan
from pipelineops.plan import gates
from pipelineops.plan.bluegreen_swap import colour_schema, dbt_vars
from pipelineops.plan.history import Colour

log = logging.getLogger(__name__)


def evaluate(
    rt: Runtime,
    *,
    manifest: Mapping[str, Any],
    idle: Colour,
    live: Colour | None,
    outcomes: Sequence[gates.TestOutcome],
    extra_vars: Mapping[str, object],
) -> list[gates.GateResult]:
    cfg = rt.ctx.config
    checks = cfg.checks
    engine = rt.engine
    results: list[gates.GateResult] = []
    if checks.dbt_tests:
        results += gates.dbt_tests(outcomes)
    published = facts.published_relations(manifest, cfg.consumer_schemas)
    idle_counts = facts.row_counts(engine, published, idle)
    missing = [
        f"{p.schema}.{p.name}".lower() for p in published if f"{p.schema}.{p.name}".lower() not in idle_counts
    ]
    results += [gates.GateResult("built", m, "fail", f"not built in {idle}") for m in missing]
    if live:
        live_counts = facts.row_counts(engine, published, live)
        results += gates.row_count_delta(
            live_counts, idle_counts, warn_pct=checks.row_count_warn_pct, fail_pct=checks.row_count_fail_pct
        )
    if checks.non_empty:
        results += gates.non_empty(idle_counts)
    if checks.anomaly:
        results += row_counts.gate(rt, idle_counts)
    if checks.contract:
        consumed = exposure_columns(manifest)
        by_name = {p.name.lower(): p for p in published}
        idle_cols: dict[str, dict[str, str]] = {}
        live_cols: dict[str, dict[str, str]] = {}
        for model in consumed:
            p = by_name.get(model.lower())
            if p is None:
                continue
            idle_cols[model] = facts.columns(engine, colour_schema(p.schema, idle), p.name)
            if live:
                live_cols[model] = facts.columns(engine, colour_schema(p.schema, live), p.name)
        results += gates.contract(
            {m: c for m, c in consumed.items() if m.lower() in by_name}, live_cols, idle_cols
        )
    if checks.freshness:
        results += freshness(rt, idle=idle, extra_vars=extra_vars)
    return results


def freshness(rt: Runtime, *, idle: Colour, extra_vars: Mapping[str, object]) -> list[gates.GateResult]:
    """``dbt source freshness`` (the same check as ``pipelineops freshness``, failed queries included): a
    source past its error threshold, or whose query failed, fails the deploy; one past warn warns."""
    vars_json = dbt_vars({**extra_vars, "pipelineops_colour": idle})
    args = (*freshness_plan.dbt_args(()), "--vars", vars_json)
    try:
        sources, _, _ = check_sources(rt, args, name="deploy-freshness")
    except PipelineOpsError as exc:
        return [gates.GateResult("freshness", "sources", "fail", exc.what)]
    if not sources:
        return [gates.GateResult("freshness", "sources", "warn", "no source declares a freshness check")]
    return gates.freshness([s.outcome for s in sources])
