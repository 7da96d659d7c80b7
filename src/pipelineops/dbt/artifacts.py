"""Read dbt's artifacts (manifest.json, run_results.json) into small typed values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pipelineops.errors import UserError


@dataclass(frozen=True)
class ModelNode:
    unique_id: str
    name: str
    resource_type: str
    schema: str
    alias: str
    materialized: str
    #: dbt-snowflake's ``transient`` config: tables are transient unless a model sets ``transient: false``
    transient: bool = True


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str
    message: str
    failures: int | None
    execution_time: float


def load_json(path: Path) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise UserError(f"dbt artifact {path} not found", fix="run dbt first (parse/build)") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"dbt artifact {path} is not valid JSON", fix="re-run dbt to regenerate it") from exc


def manifest_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def relation_nodes(manifest: Mapping[str, Any]) -> list[ModelNode]:
    """Models and seeds that materialise a relation (not ephemeral), sorted by unique id."""
    out: list[ModelNode] = []
    for uid, node in cast(dict[str, dict[str, Any]], manifest.get("nodes", {})).items():
        rtype = node.get("resource_type")
        if rtype not in ("model", "seed", "snapshot"):
            continue
        materialized = str(node.get("config", {}).get("materialized", "seed" if rtype == "seed" else "view"))
        if materialized == "ephemeral":
            continue
        out.append(
            ModelNode(
                unique_id=uid,
                name=str(node["name"]),
                resource_type=str(rtype),
                schema=str(node["schema"]),
                alias=str(node.get("alias") or node["name"]),
                materialized=materialized,
                transient=node.get("config", {}).get("transient") is not False,
            )
        )
    return sorted(out, key=lambda n: n.unique_id)


def node_results(run_results: Mapping[str, Any]) -> list[NodeResult]:
    out = []
    for r in cast(list[dict[str, Any]], run_results.get("results", [])):
        failures = r.get("failures")
        out.append(
            NodeResult(
                unique_id=str(r["unique_id"]),
                status=str(r["status"]),
                message=str(r.get("message") or ""),
                failures=int(failures) if isinstance(failures, int) else None,
                execution_time=float(r.get("execution_time") or 0.0),
            )
        )
    return out


def exposure_columns(manifest: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """``meta.consumed_columns`` of every exposure, merged: model name → columns read downstream."""
    merged: dict[str, set[str]] = {}
    for exp in cast(dict[str, dict[str, Any]], manifest.get("exposures", {})).values():
        meta = exp.get("meta") or exp.get("config", {}).get("meta") or {}
        for model, cols in cast(dict[str, list[str]], meta.get("consumed_columns", {})).items():
            merged.setdefault(model, set()).update(c.lower() for c in cols)
    return {m: tuple(sorted(c)) for m, c in merged.items()}
