"""The row counts of published models in ``DEPLOY_ROW_COUNTS``: recorded by a deploy after it publishes
(``record_published``) and by ``pipelineops anomaly --record`` (``live_counts``), read back for the anomaly
verdicts (``recorded``) and for the ``checks.anomaly`` pre-cutover gate (``gate``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipelineops.engines.base import first_value
from pipelineops.execute import deploy_facts as facts
from pipelineops.execute.runtime import Runtime
from pipelineops.plan import anomaly, gates
from pipelineops.plan.history import Colour
from pipelineops.plan.sql import common as sql
from pipelineops.plan.sql import row_counts as rsql

log = logging.getLogger(__name__)


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


def live_counts(rt: Runtime, models: Sequence[str]) -> dict[str, int]:
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
