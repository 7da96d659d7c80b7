"""What a cutover may publish: refused before anything changes when it would not be blue/green."""

from __future__ import annotations

import pytest

from pipelineops.errors import CheckFailed, UserError
from pipelineops.plan.bluegreen_swap import Published
from pipelineops.plan.publication import (
    deploy_relations,
    kept_aside,
    rollback_relations,
    stored_relations,
)

CONSUMER = ("STAGING", "MARTS")


def test_deploy_publishes_the_colour_relations_of_the_consumer_schemas() -> None:
    nodes = [
        ("MARTS__GREEN", "fct_orders"),
        ("STAGING__GREEN", "stg_orders"),
        ("INTERMEDIATE__GREEN", "int_x"),  # not a consumer schema: built, not published
        ("RAW", "raw_orders"),  # seeds: shared, not published
        ("marts__green", "fct_orders"),  # the same relation twice: once
    ]
    assert deploy_relations(nodes, CONSUMER, "GREEN") == (
        Published("MARTS", "fct_orders"),
        Published("STAGING", "stg_orders"),
    )


def test_a_schema_macro_without_colours_is_refused_with_the_macro_to_compose() -> None:
    with pytest.raises(UserError) as err:
        deploy_relations([("MARTS", "fct_orders"), ("STAGING", "stg")], CONSUMER, "BLUE")
    assert "ignores the pipelineops_colour var" in err.value.what
    assert "MARTS, STAGING" in err.value.why
    assert "__' ~ colour" in err.value.fix
    assert err.value.runbook == "configuration.md"


def test_a_macro_that_ignores_the_colour_asked_for_is_refused() -> None:
    with pytest.raises(UserError) as err:
        deploy_relations([("MARTS__BLUE", "fct_orders")], CONSUMER, "GREEN")
    assert "land in MARTS__BLUE" in err.value.what


def test_models_in_the_consumer_schema_itself_are_refused() -> None:
    with pytest.raises(UserError) as err:
        deploy_relations([("MARTS__BLUE", "fct_orders"), ("MARTS", "legacy")], CONSUMER, "BLUE")
    assert "MARTS themselves" in err.value.what


def test_consumer_schemas_that_match_no_model_are_refused_naming_where_models_land() -> None:
    with pytest.raises(UserError) as err:
        deploy_relations([("ANALYTICS__BLUE", "fct_orders")], CONSUMER, "BLUE")
    assert "nothing to publish" in err.value.what
    assert "[ANALYTICS]" in err.value.fix


def test_a_project_without_relations_has_nothing_to_publish() -> None:
    with pytest.raises(UserError) as err:
        deploy_relations([], CONSUMER, "BLUE")
    assert "landed" not in err.value.fix and "none" in err.value.why


PRESENT = {"MARTS": ("FCT_ORDERS", "FCT_ORDERS__REPLACED_20261201T000000", "DIM_X"), "STAGING": ()}


def test_rollback_republishes_what_the_targets_manifest_published() -> None:
    got = rollback_relations(
        target="d1",
        colour="BLUE",
        expected=(Published("MARTS", "fct_orders"),),
        present=PRESENT,
        live_views={"MARTS": ("FCT_ORDERS", "FCT_NEW")},  # FCT_NEW: d1's manifest did not have it
    )
    assert got == (Published("MARTS", "FCT_ORDERS"),)


def test_rollback_refuses_when_a_relation_of_the_target_is_gone() -> None:
    with pytest.raises(CheckFailed) as err:
        rollback_relations(
            target="d1",
            colour="BLUE",
            expected=(Published("MARTS", "fct_orders"), Published("MARTS", "fct_gone")),
            present=PRESENT,
            live_views={},
        )
    assert "1 of its relations are gone from BLUE (MARTS.fct_gone)" in err.value.what


def test_rollback_without_the_targets_manifest_never_drops_a_view_readers_use() -> None:
    with pytest.raises(CheckFailed) as err:
        rollback_relations(
            target="d1", colour="BLUE", expected=None, present=PRESENT, live_views={"MARTS": ("FCT_NEW",)}
        )
    assert "would drop views readers use (MARTS.FCT_NEW)" in err.value.what
    got = rollback_relations(
        target="d1", colour="BLUE", expected=None, present=PRESENT, live_views={"MARTS": ("fct_orders",)}
    )
    assert got == (Published("MARTS", "DIM_X"), Published("MARTS", "FCT_ORDERS"))


def test_rollback_refuses_an_empty_colour() -> None:
    with pytest.raises(CheckFailed) as err:
        rollback_relations(target="d1", colour="GREEN", expected=None, present={"MARTS": ()}, live_views={})
    assert "holds no relation" in err.value.what


def test_stored_relations_are_the_manifest_relations_in_consumer_schemas() -> None:
    nodes = [("marts", "fct_orders"), ("INTERMEDIATE__BLUE", "int_x"), ("RAW", "raw_orders")]
    assert stored_relations(nodes, CONSUMER) == (Published("MARTS", "fct_orders"),)


@pytest.mark.parametrize(
    ("name", "aside"),
    [("fct__REPLACED_1", True), ("FCT__restored_2", True), ("fct__CURRENT_3", True), ("fct_current", False)],
)
def test_kept_aside(name: str, aside: bool) -> None:
    assert kept_aside(name) is aside
