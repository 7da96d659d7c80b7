"""The deferral manifest points published nodes at the consumer views, keeping dbt's own quoting."""

from __future__ import annotations

import json

import pytest

from pipelineops.execute.deploy_facts import deferral_manifest


def _node(schema: str, relation_name: str) -> dict[str, object]:
    return {
        "resource_type": "model",
        "name": "fct_orders",
        "alias": "fct_orders",
        "database": "ANALYTICS",
        "schema": schema,
        "relation_name": relation_name,
        "config": {"materialized": "table"},
    }


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # dbt-snowflake: unquoted, so the lower-case alias resolves to FCT_ORDERS (finding L3: it used to
        # come out as a quoted "fct_orders", a different, missing object on Snowflake)
        ("ANALYTICS.MARTS__BLUE.fct_orders", "ANALYTICS.MARTS.fct_orders"),
        # dbt-duckdb quotes every part
        ('"lake"."MARTS__GREEN"."fct_orders"', '"lake"."MARTS"."fct_orders"'),
    ],
)
def test_deferral_manifest_keeps_the_quoting_dbt_rendered(before: str, after: str) -> None:
    schema = before.replace('"', "").split(".")[1]
    manifest = {"nodes": {"model.p.fct_orders": _node(schema, before)}}
    node = json.loads(deferral_manifest(manifest, ("MARTS",)))["nodes"]["model.p.fct_orders"]
    assert (node["schema"], node["relation_name"]) == ("MARTS", after)


def test_deferral_manifest_writes_an_unquoted_name_when_it_cannot_read_dbt_s() -> None:
    manifest = {"nodes": {"model.p.fct_orders": _node("MARTS__BLUE", "MARTS__BLUE.fct_orders")}}
    node = json.loads(deferral_manifest(manifest, ("MARTS",)))["nodes"]["model.p.fct_orders"]
    assert node["relation_name"] == "ANALYTICS.MARTS.fct_orders"


def test_deferral_manifest_carries_production_s_compiled_sql() -> None:
    manifest = {"nodes": {"model.p.fct_orders": _node("MARTS__BLUE", "ANALYTICS.MARTS__BLUE.fct_orders")}}
    compiled = {"model.p.fct_orders": "select 1 as id"}
    node = json.loads(deferral_manifest(manifest, ("MARTS",), compiled))["nodes"]["model.p.fct_orders"]
    assert node["compiled_code"] == "select 1 as id"
    bare = json.loads(deferral_manifest(manifest, ("MARTS",)))["nodes"]["model.p.fct_orders"]
    assert "compiled_code" not in bare
