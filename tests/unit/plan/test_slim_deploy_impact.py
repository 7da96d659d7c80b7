"""A slim deploy narrowed by column lineage: the skipped nodes are carried over, the rest built by name."""

from __future__ import annotations

from tests.unit.plan.test_slim_deploy import DATABASE, LIVE, NODES, SELECTED, VARS, second_deploy

from pipelineops.plan import slim_deploy as slim
from pipelineops.plan.bluegreen_swap import build_plan
from pipelineops.plan.sql import DUCKDB


def test_a_narrowed_slim_deploy_builds_the_affected_nodes_by_name_and_carries_the_skipped_ones() -> None:
    wide = slim.carry_over(NODES, SELECTED, LIVE)
    assert isinstance(wide, slim.CarryOver)
    kept = wide.built[:1]
    narrow = slim.carry_over(NODES, kept, LIVE)
    assert isinstance(narrow, slim.CarryOver)
    names = {n.unique_id: n.name for n in NODES}
    plan = slim.slim_plan(
        build_plan(second_deploy(DUCKDB)),
        narrow,
        database=DATABASE[DUCKDB],
        live="BLUE",
        idle="GREEN",
        state_dir="/w/deploy-state",
        vars_json=VARS,
        narrowed=tuple(names[u] for u in kept),
        narrowed_from=len(wide.built),
    )
    build = plan.step("build")
    assert build.dbt_args[:3] == ("build", "--select", names[kept[0]])
    assert "state:modified+" not in build.dbt_args
    assert (
        f"the 1 of {len(wide.built)} state:modified+ node(s) a change can affect (column-aware)" in build.why
    )
    assert len(narrow.tables) + len(narrow.views) > len(wide.tables) + len(wide.views)
