"""plan/data_diff_specs.py: which relations are compared, on which key, and what is sensitive."""

from __future__ import annotations

from typing import Any

from pipelineops.plan import data_diff_specs as dd
from pipelineops.plan.sql import Relation

UID = "model.demo.dim_customers"


def node(name: str = "dim_customers", schema: str = "CI_PR_7_MARTS", **extra: Any) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": name,
        "database": "lake",
        "schema": schema,
        "alias": name,
        "config": {"materialized": "table"},
        **extra,
    }


def test(column: str, name: str, attached: str = UID) -> dict[str, Any]:
    return {
        "resource_type": "test",
        "attached_node": attached,
        "column_name": column,
        "test_metadata": {"name": name},
    }


test.__test__ = False  # type: ignore[attr-defined]


def manifest(*nodes: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {"nodes": dict(nodes)}


# --- keys ---------------------------------------------------------------------------------------------


def test_the_configured_key_wins() -> None:
    m = manifest((UID, node()), ("test.u", test("customer_id", "unique")))
    assert dd.find_key(m, UID, ("a", "b")) == (("a", "b"), "config slim_ci.diff.keys")


def test_a_model_primary_key_constraint_is_the_key() -> None:
    m = manifest(
        (UID, node(constraints=[{"type": "check"}, {"type": "primary_key", "columns": ["id", "day"]}]))
    )
    assert dd.find_key(m, UID) == (("id", "day"), "primary_key constraint")


def test_a_column_primary_key_constraint_is_the_key() -> None:
    columns = {"x": {"constraints": [{"type": "not_null"}]}, "id": {"constraints": [{"type": "primary_key"}]}}
    assert dd.find_key(manifest((UID, node(columns=columns))), UID) == (("id",), "primary_key constraint")


def test_a_column_with_unique_and_not_null_tests_or_constraint_is_the_key() -> None:
    columns = {"email": {}, "customer_id": {"constraints": [{"type": "not_null"}]}}
    m = manifest(
        (UID, node(columns=columns)),
        ("test.1", test("email", "unique")),
        ("test.2", test("customer_id", "unique")),
        ("test.3", test("other", "unique", attached="model.demo.other")),
        ("test.4", {"resource_type": "test", "attached_node": UID, "column_name": None}),
    )
    assert dd.find_key(m, UID) == (("customer_id",), "unique + not_null tests")
    undeclared = manifest((UID, node()), ("t1", test("id", "not_null")), ("t2", test("id", "unique")))
    assert dd.find_key(undeclared, UID) == (("id",), "unique + not_null tests")


def test_a_model_without_key_says_where_a_key_would_come_from() -> None:
    keys, why = dd.find_key(manifest((UID, node(constraints="bad")), ("t", test("email", "unique"))), UID)
    assert keys == () and "no key" in why and "slim_ci.diff.keys" in why


# --- specs --------------------------------------------------------------------------------------------


def test_specs_pair_the_pr_relation_with_the_production_relation_and_find_sensitive_columns() -> None:
    pr = manifest(
        (
            UID,
            node(
                columns={
                    "email": {"meta": {"pii": True}},
                    "phone": {"config": {"meta": {"pii": "true"}}},
                    "customer_id": {},
                }
            ),
        ),
        ("model.demo.new", node("new")),
        ("model.demo.eph", node("eph", config={"materialized": "ephemeral"})),
        ("seed.demo.raw", {"resource_type": "seed", "name": "raw"}),
        ("t", test("customer_id", "unique")),
        ("t2", test("customer_id", "not_null")),
    )
    prod = manifest((UID, node(schema="MARTS", columns={"ssn": {"meta": {"pii": True}}})))
    specs = dd.model_specs(
        pr,
        prod,
        [UID, UID, "model.demo.new", "model.demo.eph", "seed.demo.raw", "model.demo.gone"],
        keys={"new": ["id"]},
        sensitive=["dim_customers.full_name", "other.x", "address"],
    )
    one, new = specs
    assert one.pr == Relation("lake", "CI_PR_7_MARTS", "dim_customers")
    assert one.prod == Relation("lake", "MARTS", "dim_customers")
    assert (one.keys, one.key_source) == (("customer_id",), "unique + not_null tests")
    assert one.sensitive == {"EMAIL", "PHONE", "FULL_NAME", "ADDRESS", "SSN"}
    assert one.is_sensitive("email") and not one.is_sensitive("customer_id")
    assert (new.name, new.prod, new.keys) == ("new", None, ("id",))
    assert dd.model_specs(pr, None, ["model.demo.new"], keys={}, sensitive=())[0].prod is None
