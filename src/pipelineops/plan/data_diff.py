"""Data diff of a pull request, pure: which relations to compare, on which key, and what the numbers mean.

For every modified model of the slim-ci selection, the PR relation (``CI_PR_<n>*``, from the PR's manifest)
is compared with the production relation it replaces (the consumer view the deferral manifest names):

- schema: columns added, removed, retyped;
- rows: count on each side; with a key, rows added, removed, changed and unchanged, and per column the share
  of matched rows whose value changed, with a few example keys (``plan/sql/data_diff.py`` hashes each column
  in the warehouse, so only aggregates and the examples leave it);
- without a key: a profile of each column on both sides (null %, distinct count, min/max), profile-only.

The key is, in order: ``slim_ci.diff.keys`` in the config, a ``primary_key`` constraint, or a column with both
a ``unique`` and a ``not_null`` test (or constraint). Sensitive columns (``meta.pii: true`` on the column, or
``slim_ci.diff.sensitive``) are compared and counted, never shown: no examples, no min/max.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pipelineops.plan.manifest_facts import obj
from pipelineops.plan.parity_check import Column
from pipelineops.plan.sql import Relation
from pipelineops.plan.sql.data_diff import BUCKETS, DiffColumn, ProfileColumn

log = logging.getLogger(__name__)

STAGE = "data-diff"
RUNBOOK = "pr-ci.md"
Status = Literal["compared", "profile-only", "new-model", "skipped"]
_NO_EXTREMES = ("BOOL", "STRUCT", "MAP", "LIST", "ARRAY", "VARIANT", "OBJECT", "JSON", "UNION", "[]", "BLOB")


@dataclass(frozen=True)
class ModelSpec:
    """One modified model: where the PR built it, what production publishes in its place, its key."""

    unique_id: str
    name: str
    pr: Relation
    prod: Relation | None
    keys: tuple[str, ...]
    key_source: str
    sensitive: frozenset[str]

    def is_sensitive(self, column: str) -> bool:
        return column.upper() in self.sensitive


def _relation(node: Mapping[str, object]) -> Relation:
    return Relation(
        str(node.get("database") or ""),
        str(node.get("schema") or ""),
        str(node.get("alias") or node.get("name") or ""),
    )


def _columns(node: Mapping[str, object]) -> dict[str, Mapping[str, object]]:
    return {str(k): obj(v) for k, v in obj(node.get("columns")).items()}


def _constraint_types(value: object) -> list[tuple[str, tuple[str, ...]]]:
    items = value if isinstance(value, list) else []
    out = []
    for item in items:
        c = obj(item)
        columns = c.get("columns")
        out.append(
            (str(c.get("type", "")), tuple(str(x) for x in columns) if isinstance(columns, list) else ())
        )
    return out


def _tests_by_column(manifest: Mapping[str, object], unique_id: str) -> dict[str, set[str]]:
    """Generic tests attached to ``unique_id``: column name → test names (``unique``, ``not_null`` …)."""
    out: dict[str, set[str]] = {}
    for raw in obj(manifest.get("nodes")).values():
        node = obj(raw)
        if node.get("resource_type") != "test" or node.get("attached_node") != unique_id:
            continue
        column, test = node.get("column_name"), obj(node.get("test_metadata")).get("name")
        if isinstance(column, str) and isinstance(test, str):
            out.setdefault(column, set()).add(test)
    return out


def find_key(
    manifest: Mapping[str, object], unique_id: str, configured: Sequence[str] = ()
) -> tuple[tuple[str, ...], str]:
    """(key columns, where the key comes from); ``((), "no key …")`` when the model has none."""
    if configured:
        return tuple(configured), "config slim_ci.diff.keys"
    node = obj(obj(manifest.get("nodes")).get(unique_id))
    for kind, columns in _constraint_types(node.get("constraints")):
        if kind == "primary_key" and columns:
            return columns, "primary_key constraint"
    declared = _columns(node)
    for name, column in declared.items():
        if any(kind == "primary_key" for kind, _ in _constraint_types(column.get("constraints"))):
            return (name,), "primary_key constraint"
    tests = _tests_by_column(manifest, unique_id)
    for name in [*declared, *sorted(set(tests) - set(declared))]:
        found = set(tests.get(name, ()))
        column_constraints = {
            kind for kind, _ in _constraint_types(declared.get(name, {}).get("constraints"))
        }
        if "unique" in found and ("not_null" in found or "not_null" in column_constraints):
            return (name,), "unique + not_null tests"
    return (), "no key (no unique + not_null test, primary_key constraint or slim_ci.diff.keys)"


def _is_pii(column: Mapping[str, object]) -> bool:
    for meta in (obj(column.get("meta")), obj(obj(column.get("config")).get("meta"))):
        if str(meta.get("pii")).lower() == "true":
            return True
    return False


def sensitive_columns(node: Mapping[str, object], name: str, configured: Sequence[str]) -> frozenset[str]:
    """Upper-cased names of the model's sensitive columns: ``meta.pii`` in dbt, or ``slim_ci.diff.sensitive``
    entries ``<model>.<column>`` and bare ``<column>`` (every model)."""
    out = {c.upper() for c, column in _columns(node).items() if _is_pii(column)}
    for entry in configured:
        model, _, column = entry.rpartition(".")
        if not model or model.lower() == name.lower():
            out.add(column.upper())
    return frozenset(out)


def model_specs(
    pr_manifest: Mapping[str, object],
    prod_manifest: Mapping[str, object] | None,
    modified: Sequence[str],
    *,
    keys: Mapping[str, Sequence[str]],
    sensitive: Sequence[str],
) -> tuple[ModelSpec, ...]:
    """One spec per modified model that is built as a relation (ephemeral models have none)."""
    nodes = obj(pr_manifest.get("nodes"))
    prod_nodes = obj(prod_manifest.get("nodes")) if prod_manifest is not None else {}
    out: list[ModelSpec] = []
    for uid in dict.fromkeys(modified):
        node = obj(nodes.get(uid))
        if node.get("resource_type") != "model" or obj(node.get("config")).get("materialized") == "ephemeral":
            continue
        name = str(node.get("name") or uid.split(".")[-1])
        prod = obj(prod_nodes.get(uid))
        key, source = find_key(pr_manifest, uid, tuple(keys.get(name, ())))
        out.append(
            ModelSpec(
                unique_id=uid,
                name=name,
                pr=_relation(node),
                prod=_relation(prod) if prod else None,
                keys=key,
                key_source=source,
                sensitive=sensitive_columns(node, name, sensitive) | sensitive_columns(prod, name, ()),
            )
        )
    return tuple(out)


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


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnChange:
    """Matched rows whose value of ``name`` changed; examples are (key, before, after) as text."""

    name: str
    changed: int
    matched: int
    sensitive: bool = False
    examples: tuple[tuple[str, str, str], ...] = ()

    @property
    def pct(self) -> float:
        return round(self.changed * 100.0 / self.matched, 2) if self.matched else 0.0


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    null_pct: float
    distinct: int
    min: str | None = None
    max: str | None = None
    sensitive: bool = False


@dataclass(frozen=True)
class KeyCounts:
    added: int
    removed: int
    matched: int
    changed: int
    per_column: tuple[int, ...]

    @property
    def unchanged(self) -> int:
        return self.matched - self.changed


def _value(row: Mapping[str, object], name: str) -> object:
    for key, value in row.items():
        if key.lower() == name:
            return value
    return None


def _int(value: object) -> int:
    """A count as the engine returns it (int, Decimal, or a float such as ``1.0`` from a SUM)."""
    return int(Decimal(str(value))) if value is not None else 0


def key_counts(row: Mapping[str, object], compared: int) -> KeyCounts:
    """The key diff query's one row (column names in any case; SUM over no rows is NULL → 0)."""
    return KeyCounts(
        added=_int(_value(row, "added")),
        removed=_int(_value(row, "removed")),
        matched=_int(_value(row, "matched")),
        changed=_int(_value(row, "changed")),
        per_column=tuple(_int(_value(row, f"c_{i}")) for i in range(1, compared + 1)),
    )


def row_counts(row: Mapping[str, object]) -> tuple[int, int]:
    """(PR rows, production rows) from the row count query."""
    return _int(_value(row, "pr_rows")), _int(_value(row, "prod_rows"))


def text(value: object, limit: int = 80) -> str:
    """A warehouse value as short text (``NULL`` for null); escaping is the renderer's job."""
    shown = "NULL" if value is None else str(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def key_text(row: Mapping[str, object], width: int) -> str:
    return ", ".join(text(_value(row, f"k_{i}")) for i in range(1, width + 1))


def profiles(
    row: Mapping[str, object], columns: Sequence[ProfileColumn], sensitive: frozenset[str] = frozenset()
) -> tuple[ColumnProfile, ...]:
    """The profile query's one row, per column; ``sensitive`` (upper-cased names) marks columns whose
    MIN/MAX were left out because they are sensitive."""
    rows = _int(_value(row, "n"))
    out = []
    for i, c in enumerate(columns, 1):
        non_null = _int(_value(row, f"nn_{i}"))
        out.append(
            ColumnProfile(
                c.name,
                null_pct=round((rows - non_null) * 100.0 / rows, 2) if rows else 0.0,
                distinct=_int(_value(row, f"d_{i}")),
                min=text(_value(row, f"min_{i}")) if c.extremes else None,
                max=text(_value(row, f"max_{i}")) if c.extremes else None,
                sensitive=c.name.upper() in sensitive,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ModelDiff:
    """What one modified model's PR relation does to production's data."""

    name: str
    unique_id: str
    status: Status
    pr_relation: str
    prod_relation: str = ""
    schema: SchemaDiff | None = None
    pr_rows: int | None = None
    prod_rows: int | None = None
    key: tuple[str, ...] = ()
    key_source: str = ""
    sample: str = "every row"
    counts: KeyCounts | None = None
    columns: tuple[ColumnChange, ...] = ()
    added_keys: tuple[str, ...] = ()
    removed_keys: tuple[str, ...] = ()
    profile_pr: tuple[ColumnProfile, ...] = ()
    profile_prod: tuple[ColumnProfile, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def row_delta(self) -> int | None:
        if self.pr_rows is None or self.prod_rows is None:
            return None
        return self.pr_rows - self.prod_rows
