"""Which relations a pull request's data diff compares, pure: for every modified model of the slim-ci
selection, the PR relation (``CI_PR_<n>*``, from the PR's manifest) and the production relation it replaces
(the consumer view the deferral manifest names), the key the rows are matched on, and the sensitive columns.

The key is, in order: ``slim_ci.diff.keys`` in the config, a ``primary_key`` constraint, or a column with both
a ``unique`` and a ``not_null`` test (or constraint). Sensitive columns (``meta.pii: true`` on the column, or
``slim_ci.diff.sensitive``) are compared and counted, never shown: no examples, no min/max.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelineops.plan.manifest_facts import obj
from pipelineops.plan.sql import Relation

log = logging.getLogger(__name__)


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
