"""dbt artifacts: relation nodes, node results, consumed columns of exposures, the manifest digest."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pipelineops.dbt.artifacts import (
    ModelNode,
    NodeResult,
    exposure_columns,
    load_json,
    manifest_digest,
    node_results,
    relation_nodes,
)
from pipelineops.errors import UserError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dbt"
MANIFEST = FIXTURES / "manifest_small.json"
RUN_RESULTS = FIXTURES / "run_results_small.json"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_json(MANIFEST)


def test_fixture_is_a_real_manifest_shape(manifest: dict[str, Any]) -> None:
    assert manifest["metadata"]["dbt_schema_version"].endswith("/manifest/v12.json")
    types = sorted(n["resource_type"] for n in manifest["nodes"].values())
    assert types == ["model", "model", "model", "model", "seed", "test", "test"]


def test_relation_nodes_skip_tests_and_ephemeral_models(manifest: dict[str, Any]) -> None:
    nodes = relation_nodes(manifest)
    assert nodes == [
        ModelNode(
            "model.pipelineops_demo.dim_customers",
            "dim_customers",
            "model",
            "MARTS__BLUE",
            "dim_customers",
            "table",
        ),
        ModelNode(
            "model.pipelineops_demo.fct_orders",
            "fct_orders",
            "model",
            "MARTS__BLUE",
            "fct_orders",
            "incremental",
        ),
        ModelNode(
            "model.pipelineops_demo.stg_orders", "stg_orders", "model", "STAGING__BLUE", "stg_orders", "view"
        ),
        ModelNode("seed.pipelineops_demo.raw_orders", "raw_orders", "seed", "RAW", "raw_orders", "seed"),
    ]
    assert "model.pipelineops_demo.int_order_lines" in manifest["nodes"]  # present, but ephemeral


def test_relation_nodes_defaults_alias_snapshot_and_order() -> None:
    manifest = {
        "nodes": {
            "snapshot.p.snap": {
                "resource_type": "snapshot",
                "name": "snap",
                "schema": "SNAPSHOTS",
                "config": {"materialized": "snapshot"},
            },
            "seed.p.s": {"resource_type": "seed", "name": "s", "schema": "RAW", "alias": None},
            "model.p.m": {"resource_type": "model", "name": "m", "schema": "MARTS", "alias": "m_alias"},
            "analysis.p.a": {"resource_type": "analysis", "name": "a", "schema": "X"},
            "operation.p.o": {"resource_type": "operation", "name": "o", "schema": "X"},
        }
    }
    assert relation_nodes(manifest) == [
        ModelNode("model.p.m", "m", "model", "MARTS", "m_alias", "view"),  # no config: dbt's default view
        ModelNode("seed.p.s", "s", "seed", "RAW", "s", "seed"),  # no alias: the name
        ModelNode("snapshot.p.snap", "snap", "snapshot", "SNAPSHOTS", "snap", "snapshot"),
    ]
    assert relation_nodes({}) == []


def test_relation_nodes_are_transient_unless_a_model_says_transient_false() -> None:
    """dbt-snowflake's default: tables are transient; ``transient: false`` makes them permanent."""
    manifest = {
        "nodes": {
            f"model.p.{name}": {"resource_type": "model", "name": name, "schema": "MARTS", "config": config}
            for name, config in (
                ("a", {"materialized": "incremental"}),
                ("b", {"materialized": "incremental", "transient": None}),
                ("c", {"materialized": "incremental", "transient": True}),
                ("d", {"materialized": "incremental", "transient": False}),
            )
        }
    }
    assert [(n.name, n.transient) for n in relation_nodes(manifest)] == [
        ("a", True),
        ("b", True),
        ("c", True),
        ("d", False),
    ]


def test_node_results_from_saved_run_results() -> None:
    results = node_results(load_json(RUN_RESULTS))
    assert [(r.status, r.failures) for r in results] == [
        ("success", None),
        ("pass", 0),
        ("warn", 12),
        ("no-op", 0),
    ]
    seed, passed, warned, _ = results
    assert seed.unique_id == "seed.pipelineops_demo.raw_customers"
    assert seed.message == "INSERT 1212"
    assert passed.message == ""  # dbt writes null for a passing test
    assert warned.message == "Got 12 results, configured to warn if != 0"
    assert all(isinstance(r.execution_time, float) and r.execution_time > 0 for r in results)


def test_node_results_tolerate_missing_optional_fields() -> None:
    results = node_results(
        {
            "results": [
                {"unique_id": "model.p.m", "status": "error", "message": None, "execution_time": None},
                {"unique_id": "test.p.t", "status": "fail", "failures": "3", "message": "x"},
            ]
        }
    )
    assert results == [
        NodeResult("model.p.m", "error", "", None, 0.0),
        NodeResult("test.p.t", "fail", "x", None, 0.0),
    ]
    assert node_results({}) == []


def test_exposure_columns_merge_meta_and_config_meta(manifest: dict[str, Any]) -> None:
    assert exposure_columns(manifest) == {
        "dim_customers": ("country_code", "customer_id", "customer_segment", "lifetime_value"),
        "fct_daily_revenue": (
            "avg_order_value",
            "customer_count",
            "net_revenue",
            "order_count",
            "revenue_date",
        ),
        # revenue_dashboard (meta) and ops_report (config.meta, upper case) merged, lower-cased, sorted
        "fct_orders": (
            "customer_id",
            "days_to_ship",
            "net_amount",
            "order_date",
            "order_id",
            "payment_status",
            "shipped_at",
            "status",
        ),
        "stg_orders": ("order_id",),
    }


def test_exposure_columns_without_meta() -> None:
    assert exposure_columns({"exposures": {"e": {"meta": {}, "config": {}}, "f": {}}}) == {}
    assert exposure_columns({}) == {}


def test_manifest_digest_is_stable_and_content_addressed() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    digest = manifest_digest(text)
    assert digest == manifest_digest(text)
    assert digest == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert manifest_digest("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    changed = copy.deepcopy(json.loads(text))
    changed["nodes"]["model.pipelineops_demo.fct_orders"]["alias"] = "fct_orders_v2"
    assert manifest_digest(json.dumps(changed)) != manifest_digest(json.dumps(json.loads(text)))


def test_load_json_errors_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found") as missing:
        load_json(tmp_path / "manifest.json")
    assert "run dbt first" in missing.value.fix
    bad = tmp_path / "run_results.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="is not valid JSON"):
        load_json(bad)
