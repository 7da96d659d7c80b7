"""Production's compiled SQL for the published manifest: colour relation names become the consumer names,
whole names only, and a slim deploy carries unbuilt nodes' SQL over only when nothing they compile from
changed."""

from __future__ import annotations

from typing import Any

import pytest

from pipelineops.plan.published_sql import (
    consumer_relation,
    for_readers,
    published_sql,
    renames,
    with_schema,
)

CONSUMERS = ("STAGING", "MARTS")


def node(
    name: str,
    relation: str,
    *,
    schema: str = "",
    materialized: str = "table",
    resource_type: str = "model",
    checksum: str = "c1",
    **extra: object,
) -> dict[str, Any]:
    parts = relation.replace('"', "").split(".")
    return {
        "resource_type": resource_type,
        "name": name,
        "alias": name,
        "database": parts[0],
        "schema": schema or parts[1],
        "relation_name": relation,
        "config": {"materialized": materialized},
        "checksum": {"name": "sha256", "checksum": checksum},
        **extra,
    }


DUCKDB = {
    "nodes": {
        "model.p.stg": node("stg", '"lake"."STAGING__GREEN"."stg"'),
        "model.p.stg_orders": node("stg_orders", '"lake"."STAGING__GREEN"."stg_orders"'),
        "model.p.fct": node("fct", '"lake"."MARTS__GREEN"."fct"'),
        "seed.p.raw": node("raw", '"lake"."RAW"."raw"', resource_type="seed"),
    }
}
SNOWFLAKE = {
    "nodes": {
        "model.p.stg": node("stg", "ANALYTICS.STAGING__BLUE.stg"),
        "model.p.stg_orders": node("stg_orders", "ANALYTICS.STAGING__BLUE.stg_orders"),
        "model.p.fct": node("fct", "ANALYTICS.MARTS__BLUE.fct"),
    }
}


def test_quoted_duckdb_names_become_the_consumer_names() -> None:
    names = renames(DUCKDB, CONSUMERS)
    sql = (
        'select s.id, o.amount from "lake"."STAGING__GREEN"."stg" as s\n'
        'join "lake"."STAGING__GREEN"."stg_orders" o using (id) join "lake"."RAW"."raw" r using (id)'
    )
    assert for_readers(sql, names, CONSUMERS) == (
        'select s.id, o.amount from "lake"."STAGING"."stg" as s\n'
        'join "lake"."STAGING"."stg_orders" o using (id) join "lake"."RAW"."raw" r using (id)'
    )


def test_unquoted_snowflake_names_are_replaced_whole_never_as_a_prefix() -> None:
    names = renames(SNOWFLAKE, CONSUMERS)
    sql = "select * from ANALYTICS.STAGING__BLUE.stg_orders join ANALYTICS.STAGING__BLUE.stg using (id)"
    assert for_readers(sql, names, CONSUMERS) == (
        "select * from ANALYTICS.STAGING.stg_orders join ANALYTICS.STAGING.stg using (id)"
    )


def test_sql_still_naming_a_colour_is_left_out() -> None:
    names = renames(SNOWFLAKE, CONSUMERS)
    # a name dbt did not render as the manifest's (another case): not the node's name, so not replaced
    assert for_readers("select 1 from analytics.staging__blue.stg", names, CONSUMERS) is None
    assert for_readers("select 1 from ANALYTICS.RAW.orders", names, CONSUMERS) == (
        "select 1 from ANALYTICS.RAW.orders"
    )


def test_consumer_relation_only_for_colours_of_consumer_schemas() -> None:
    assert consumer_relation(node("x", '"lake"."OTHER__BLUE"."x"'), CONSUMERS) is None
    assert consumer_relation(node("x", '"lake"."MARTS"."x"'), CONSUMERS) is None
    assert consumer_relation({"schema": "MARTS__BLUE"}, CONSUMERS) is None  # ephemeral: no relation
    two_parts = node("x", "MARTS__BLUE.x", schema="MARTS__BLUE", database="DB")
    assert consumer_relation(two_parts, CONSUMERS) == "DB.MARTS.x"
    assert with_schema('"a"."b"', "S") is None


def test_a_full_deploy_publishes_the_sql_of_every_built_model() -> None:
    compiled = {
        "model.p.stg": 'select 1 as id from "lake"."RAW"."raw"',
        "model.p.fct": 'select id from "lake"."STAGING__GREEN"."stg"',
        "seed.p.raw": "",
    }
    out = published_sql(
        DUCKDB, compiled, consumer_schemas=CONSUMERS, built={"model.p.stg", "model.p.fct", "seed.p.raw"}
    )
    # stg_orders was not built (failed upstream, say): no SQL, and no previous manifest to carry from
    assert out == {
        "model.p.stg": 'select 1 as id from "lake"."RAW"."raw"',
        "model.p.fct": 'select id from "lake"."STAGING"."stg"',
    }


@pytest.mark.parametrize(
    ("change", "carried"),
    [
        ({}, True),
        ({"checksum": {"name": "sha256", "checksum": "c2"}}, False),  # its code changed
        ({"compiled_code": 'select id from "lake"."RAW"."gone"'}, False),  # names a relation now gone
        ({"compiled_code": " "}, False),  # the live build published none
    ],
)
def test_a_slim_deploy_carries_unbuilt_sql_over_only_when_unchanged(
    change: dict[str, object], carried: bool
) -> None:
    old = node("stg_orders", '"lake"."STAGING"."stg_orders"', compiled_code="select 2 as id")
    gone = node("gone", '"lake"."RAW"."gone"', resource_type="seed")
    previous = {"nodes": {"model.p.stg_orders": {**old, **change}, "seed.p.gone": gone}}
    out = published_sql(
        DUCKDB,
        {"model.p.stg": "select 1 as id"},
        consumer_schemas=CONSUMERS,
        built={"model.p.stg", "model.p.fct"},
        previous=previous,
    )
    assert ("model.p.stg_orders" in out) is carried
    assert out["model.p.stg"] == "select 1 as id"
    assert "model.p.fct" not in out  # built, but no compiled SQL: never carried over


def test_incremental_python_and_ephemeral_models_publish_no_sql() -> None:
    manifest = {
        "nodes": {
            "model.p.inc": node("inc", '"lake"."MARTS__BLUE"."inc"', materialized="incremental"),
            "model.p.eph": node("eph", '"lake"."MARTS__BLUE"."eph"', materialized="ephemeral"),
            "model.p.py": node("py", '"lake"."MARTS__BLUE"."py"', language="python"),
        }
    }
    compiled = dict.fromkeys(manifest["nodes"], "select 1 as id")
    assert published_sql(manifest, compiled, consumer_schemas=CONSUMERS, built=set(compiled)) == {}


def test_carried_sql_names_this_build_s_relations() -> None:
    """A schema that is not a consumer schema keeps its colour: the carried SQL moves to the idle one."""
    previous = {
        "nodes": {
            "model.p.stg": node("stg", '"lake"."STAGING__BLUE"."stg"'),
            "model.p.fct": node(
                "fct",
                '"lake"."MARTS"."fct"',
                compiled_code='select id from "lake"."STAGING__BLUE"."stg" join "lake"."MARTS"."fct" using (id)',
            ),
        }
    }
    out = published_sql(DUCKDB, {}, consumer_schemas=("MARTS",), built={"model.p.stg"}, previous=previous)
    assert out == {
        "model.p.fct": 'select id from "lake"."STAGING__GREEN"."stg" join "lake"."MARTS"."fct" using (id)'
    }
