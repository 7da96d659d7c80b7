"""Data diff of a pull request, pure: which relations to compare, on which key, and what the numbers mean.

For every modified model of the slim-ci selection, the PR relation (``CI_PR_<n>*``, from the PR's manifest)
is compared with the production relation it replaces (the consumer view the deferral manifest names):

- schema: columns added, removed, retyped;
- rows: count on each side; with a key, rows added, removed, changed and unchanged, and per column the share
  of matched rows whose value changed, with a few example keys (``plan/sql/data_diff.py`` hashes each column
  in the warehouse, so only aggregates and the examples leave it);
- without a key: a profile of each column on both sides (null %, distinct count, min/max), profile-only.

This module holds the schema diff, the key as compared columns, the cost (sampling, what to profile) and the
plan ``--dry-run`` prints; ``data_diff_specs.py`` chooses what to compare (relations, key, sensitive columns)
and ``data_diff_results.py`` reads the numbers the queries return.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pipelineops.plan.data_diff_specs import ModelSpec
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import Dialect, columns_of
from pipelineops.plan.sql import data_diff as dsql
from pipelineops.plan.sql.data_diff import BUCKETS, DiffColumn, ProfileColumn
from pipelineops.plan.steps import Plan, Step

log = logging.getLogger(__name__)

STAGE = "data-diff"
RUNBOOK = "pr-ci.md"
_NO_EXTREMES = ("BOOL", "STRUCT", "MAP", "LIST", "ARRAY", "VARIANT", "OBJECT", "JSON", "UNION", "[]", "BLOB")


# --- schema ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retyped:
    name: str
    before: str
    after: str


@dataclass(frozen=True)
class SchemaDiff:
    added: tuple[Column, ...]
    removed: tuple[Column, ...]
    retyped: tuple[Retyped, ...]
    compared: tuple[DiffColumn, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped)


def schema_diff(pr: Sequence[Column], prod: Sequence[Column]) -> SchemaDiff:
    """Columns only the PR has, only production has, with another type; the rest compared (PR order;
    a retyped column is compared as text)."""
    old = {c.name.upper(): c for c in prod}
    new = {c.name.upper(): c for c in pr}
    retyped = tuple(
        Retyped(c.name, old[k].type, c.type)
        for k, c in new.items()
        if k in old and c.type.strip().upper() != old[k].type.strip().upper()
    )
    moved = {r.name.upper() for r in retyped}
    return SchemaDiff(
        added=tuple(c for k, c in new.items() if k not in old),
        removed=tuple(c for k, c in old.items() if k not in new),
        retyped=retyped,
        compared=tuple(DiffColumn(c.name, c.name.upper() in moved) for k, c in new.items() if k in old),
    )


def key_columns(spec: ModelSpec, schema: SchemaDiff) -> tuple[DiffColumn, ...] | str:
    """The key as compared columns, or why the model falls back to a profile."""
    by_name = {c.name.upper(): c for c in schema.compared}
    missing = [k for k in spec.keys if k.upper() not in by_name]
    if not spec.keys:
        return spec.key_source
    if missing:
        return f"key column(s) {', '.join(missing)} not on both sides"
    return tuple(by_name[k.upper()] for k in spec.keys)


# --- cost -----------------------------------------------------------------------------------------


def sample_per_10000(rows: int, threshold: int) -> int | None:
    """None (every row) up to ``threshold`` rows; else the share of key-hash buckets that keeps about
    ``threshold`` rows, at least 1 in 10,000."""
    if threshold <= 0 or rows <= threshold:
        return None
    return max(1, threshold * BUCKETS // rows)


def sample_label(per_10000: int | None) -> str:
    if per_10000 is None:
        return "every row"
    return f"sampled: {per_10000 / 100:g}% of keys by key hash (deterministic)"


def profile_columns(columns: Sequence[Column], spec: ModelSpec) -> tuple[ProfileColumn, ...]:
    """Columns to profile; no MIN/MAX for sensitive, boolean or nested values."""
    return tuple(
        ProfileColumn(
            c.name,
            extremes=not spec.is_sensitive(c.name) and not any(t in c.type.upper() for t in _NO_EXTREMES),
        )
        for c in columns
    )


# --- the plan ---------------------------------------------------------------------------------------


def read_plan(specs: Sequence[ModelSpec], *, budget_seconds: int, threshold: int, dialect: Dialect) -> Plan:
    """What ``--dry-run`` prints: the first statements of each model; the rest depend on what they return."""
    steps = [
        Step(
            spec.name,
            f"columns of both sides and row counts; then {'the key diff on ' + ', '.join(spec.keys) if spec.keys else 'column profiles (no key)'}"
            f", sampled above {threshold:,} rows, at most {budget_seconds} s",
            action="check",
            sql=(
                *dsql.session_timeout(budget_seconds, dialect),
                columns_of(spec.pr, dialect),
                *(
                    (columns_of(spec.prod, dialect), dsql.row_counts(spec.pr, spec.prod, dialect))
                    if spec.prod
                    else ()
                ),
            ),
        )
        for spec in specs
    ]
    return Plan(stage=STAGE, dialect=dialect, steps=tuple(steps))
