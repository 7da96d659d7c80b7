"""Slim CI's pure parts: why each node was selected, blind spots, clone targets, the dbt plan, tallies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pipelineops.errors import UserError
from pipelineops.plan import slim_ci as s
from pipelineops.plan.sql import DUCKDB


def _node(
    name: str,
    *,
    kind: str = "model",
    parents: tuple[str, ...] = (),
    checksum: str = "c0",
    materialized: str = "view",
    code: str = "select 1",
    macros: tuple[str, ...] = (),
    checksum_name: str = "sha256",
) -> dict[str, Any]:
    folder = {"model": "models", "seed": "seeds", "test": "tests"}.get(kind, "models")
    return {
        "unique_id": f"{kind}.demo.{name}",
        "resource_type": kind,
        "name": name,
        "original_file_path": f"{folder}/{name}.{'csv' if kind == 'seed' else 'sql'}",
        "patch_path": f"demo://{folder}/_{folder}.yml",
        "checksum": {"name": checksum_name, "checksum": checksum},
        "config": {"materialized": materialized, "schema": "staging", "enabled": True},
        "depends_on": {"nodes": list(parents), "macros": list(macros)},
        "raw_code": code,
        "description": "",
        "columns": {},
    }


def _manifest(*nodes: dict[str, Any], macros: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "nodes": {n["unique_id"]: n for n in nodes},
        "macros": {
            uid: {"unique_id": uid, "macro_sql": sql, "depends_on": {"macros": []}}
            for uid, sql in (macros or {}).items()
        },
    }


STATE = _manifest(
    _node("raw_orders", kind="seed", materialized="seed"),
    _node("stg_orders", parents=("seed.demo.raw_orders",), macros=("macro.demo.cents",)),
    _node("stg_customers"),
    _node("int_orders", parents=("model.demo.stg_orders",)),
    _node(
        "fct_orders",
        parents=("model.demo.int_orders", "model.demo.stg_customers"),
        materialized="incremental",
    ),
    _node("not_null_fct_orders_id", kind="test", parents=("model.demo.fct_orders",)),
    macros={"macro.demo.cents": "{% macro cents(x) %}{{ x }} * 100{% endmacro %}"},
)


def _pr(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(STATE)
    mutate(data)
    return data


def _explain(pr: dict[str, Any], selected: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    got = s.explain(s.read_manifest(pr), s.read_manifest(STATE), selected)
    return {e.name: (e.role, e.reasons) for e in got}


DOWNSTREAM = [
    "model.demo.stg_orders",
    "model.demo.int_orders",
    "model.demo.fct_orders",
    "test.demo.not_null_fct_orders_id",
]


def test_changed_file_is_modified_and_its_descendants_are_downstream() -> None:
    pr = _pr(lambda m: m["nodes"]["model.demo.stg_orders"]["checksum"].update(checksum="c1"))
    assert _explain(pr, DOWNSTREAM) == {
        "stg_orders": ("modified", ("file changed: models/stg_orders.sql",)),
        "int_orders": ("downstream", ("downstream of stg_orders",)),
        "fct_orders": ("downstream", ("downstream of stg_orders",)),
        "not_null_fct_orders_id": ("downstream", ("downstream of stg_orders",)),
    }


def test_modified_nodes_come_first_then_models_then_tests() -> None:
    pr = _pr(lambda m: m["nodes"]["model.demo.int_orders"]["checksum"].update(checksum="c1"))
    got = s.explain(s.read_manifest(pr), s.read_manifest(STATE), list(reversed(DOWNSTREAM[1:])))
    assert [e.name for e in got] == ["int_orders", "fct_orders", "not_null_fct_orders_id"]


def test_config_change_names_the_keys() -> None:
    def change(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.fct_orders"]["config"].update(materialized="table", unique_key="id")

    assert _explain(_pr(change), ["model.demo.fct_orders"])["fct_orders"] == (
        "modified",
        ("config changed: materialized, unique_key",),
    )


def test_schema_of_the_build_is_not_a_config_change() -> None:
    pr = _pr(lambda m: m["nodes"]["model.demo.fct_orders"]["config"].update(schema="CI_PR_7_MARTS"))
    assert _explain(pr, ["model.demo.fct_orders"])["fct_orders"][0] == "selected"


def test_property_change_names_the_yaml_file() -> None:
    pr = _pr(lambda m: m["nodes"]["model.demo.stg_customers"].update(description="People."))
    assert _explain(pr, ["model.demo.stg_customers"])["stg_customers"] == (
        "modified",
        ("properties changed (description) in models/_models.yml",),
    )


def test_changed_macro_is_the_reason() -> None:
    pr = _pr(
        lambda m: m["macros"]["macro.demo.cents"].update(
            macro_sql="{% macro cents(x) %}{{ x }}{% endmacro %}"
        )
    )
    assert _explain(pr, ["model.demo.stg_orders"])["stg_orders"] == ("modified", ("macro changed: cents",))


def test_new_node_is_modified_as_new() -> None:
    def add(m: dict[str, Any]) -> None:
        n = _node("stg_refunds", parents=("seed.demo.raw_orders",))
        m["nodes"][n["unique_id"]] = n

    assert _explain(_pr(add), ["model.demo.stg_refunds"])["stg_refunds"] == (
        "modified",
        ("new model (models/stg_refunds.sql)",),
    )


def test_selection_without_a_visible_reason_says_so() -> None:
    assert _explain(STATE, ["model.demo.stg_customers"])["stg_customers"] == (
        "selected",
        ("selected by dbt's state:modified; this manifest diff finds no change",),
    )


def test_unit_tests_are_read_from_their_own_section() -> None:
    pr = copy.deepcopy(STATE)
    pr["unit_tests"] = {
        "unit_test.demo.fct_orders.t": {"name": "t", "depends_on": {"nodes": ["model.demo.fct_orders"]}}
    }
    facts = s.read_manifest(pr)
    assert facts.nodes["unit_test.demo.fct_orders.t"].resource_type == "unit_test"
    assert facts.nodes["unit_test.demo.fct_orders.t"].parents == ("model.demo.fct_orders",)


# --- blind spots ---------------------------------------------------------------------------------


def _spots(pr: dict[str, Any], selected: list[str], **kw: Any) -> dict[str, s.BlindSpot]:
    kw.setdefault("pr_vars", {"lookback": 3})
    kw.setdefault("base_vars", {"lookback": 3})
    kw.setdefault("base_label", "origin/main")
    return {b.kind: b for b in s.blind_spots(s.read_manifest(pr), selected, **kw)}


def test_no_blind_spot_applies_to_a_plain_change() -> None:
    assert _spots(STATE, DOWNSTREAM) == {}


def test_changed_var_names_its_readers_and_those_not_built() -> None:
    def reader(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.int_orders"]["raw_code"] = "select * where d > {{ var('lookback') }}"
        m["macros"]["macro.demo.cents"]["macro_sql"] = '{{ var( "lookback" ) }}'

    spot = _spots(_pr(reader), ["model.demo.int_orders"], pr_vars={"lookback": 5})["vars"]
    assert "lookback" in spot.message and "origin/main" in spot.message
    assert spot.nodes == ("model.demo.int_orders", "model.demo.stg_orders")
    assert spot.unselected == ("model.demo.stg_orders",)


def test_removed_or_added_var_counts_as_changed() -> None:
    assert s.changed_vars({"a": 1, "b": {"x": 1}}, {"b": {"x": 2}, "c": None}) == ("a", "b")
    assert s.changed_vars({"a": [1, 2]}, {"a": [1, 2]}) == ()


def test_vars_that_cannot_be_compared_are_flagged() -> None:
    spot = _spots(STATE, [], base_vars=None, base_label="origin/main (not available)")["vars"]
    assert "could not be compared" in spot.message


def test_no_vars_and_no_base_is_not_a_blind_spot() -> None:
    assert _spots(STATE, [], pr_vars={}, base_vars=None) == {}


def test_env_var_in_a_model_or_the_project_is_flagged() -> None:
    def reader(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.stg_customers"]["raw_code"] = "select '{{ env_var('REGION') }}'"

    spot = _spots(_pr(reader), [])["env_var"]
    assert "REGION" in spot.message and spot.unselected == ("model.demo.stg_customers",)
    spot = _spots(STATE, [], project_env_vars=s.env_var_names("x: \"{{ env_var('DBT_TARGET_DB') }}\""))
    assert "DBT_TARGET_DB" in spot["env_var"].message


def test_env_var_inside_dbt_internal_macros_is_not_the_projects() -> None:
    pr = copy.deepcopy(STATE)
    pr["macros"]["macro.dbt.something"] = {"macro_sql": "{{ env_var('DBT_INTERNAL') }}", "depends_on": {}}
    assert "env_var" not in _spots(pr, [])


def test_seed_over_one_mib_is_compared_by_path_only() -> None:
    pr = _pr(
        lambda m: m["nodes"]["seed.demo.raw_orders"]["checksum"].update(name="path", checksum="seeds/x.csv")
    )
    spot = _spots(pr, [])["large-seed"]
    assert spot.nodes == ("seed.demo.raw_orders",) and "1 MiB" in spot.message


# --- clone, plan, tally ------------------------------------------------------------------------


def test_clone_targets_are_selected_incrementals_in_production_and_unmodified_parents() -> None:
    def change(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.fct_orders"]["checksum"]["checksum"] = "c1"
        n = _node("fct_new", parents=("model.demo.int_orders",), materialized="incremental")
        m["nodes"][n["unique_id"]] = n

    pr = _pr(change)
    selected = ["model.demo.fct_orders", "model.demo.fct_new", "test.demo.not_null_fct_orders_id"]
    explained = s.explain(s.read_manifest(pr), s.read_manifest(STATE), selected)
    assert s.clone_targets(s.read_manifest(pr), s.read_manifest(STATE), explained) == (
        "fct_orders",
        "int_orders",
        "stg_customers",
    )


def test_no_incremental_selected_means_nothing_to_clone() -> None:
    pr = _pr(lambda m: m["nodes"]["model.demo.stg_customers"]["checksum"].update(checksum="c1"))
    explained = s.explain(s.read_manifest(pr), s.read_manifest(STATE), ["model.demo.stg_customers"])
    assert s.clone_targets(s.read_manifest(pr), s.read_manifest(STATE), explained) == ()


def _inputs(**kw: Any) -> s.SlimInputs:
    base: dict[str, Any] = {
        "pr": 7,
        "schema": "CI_PR_7",
        "dialect": DUCKDB,
        "state_dir": "/s",
        "state_source": "prod deploy d1",
        "vars_json": '{"pipelineops_pr":7}',
        "favor_state": True,
        "clone": (),
        "selected": 3,
    }
    base.update(kw)
    return s.SlimInputs(**base)


def test_plan_builds_state_modified_plus_with_defer_and_favor_state() -> None:
    p = s.build_plan(_inputs())
    assert [st.name for st in p.steps] == ["build"]
    assert p.step("build").dbt_args == (
        "build", "--select", "state:modified+", "--defer", "--state", "/s", "--favor-state",
        "--vars", '{"pipelineops_pr":7}',
    )  # fmt: skip
    assert "--favor-state" not in s.build_plan(_inputs(favor_state=False)).step("build").dbt_args


def test_plan_clones_from_the_colour_state_before_building() -> None:
    p = s.build_plan(_inputs(clone=("fct_orders",), clone_state_dir="/c", comment="post it"))
    assert [st.name for st in p.steps] == ["clone", "build", "comment"]
    assert p.step("clone").dbt_args == (
        "clone",
        "--select",
        "fct_orders",
        "--state",
        "/c",
        "--vars",
        '{"pipelineops_pr":7}',
    )


def test_plan_says_why_a_clone_is_skipped() -> None:
    p = s.build_plan(_inputs(clone=("fct_orders",), clone_skipped="no zero-copy clone"))
    assert p.step("clone").action == "note" and "no zero-copy clone" in p.step("clone").why


def test_nothing_selected_builds_nothing_and_says_so() -> None:
    p = s.build_plan(_inputs(selected=0, clone=("x",)))
    assert [(st.name, st.action) for st in p.steps] == [("build", "note")]
    assert p.step("build").why == "skipped because this PR changes no dbt node"


def test_ls_lists_unique_ids_as_json_for_every_buildable_type() -> None:
    args = s.ls_args("/s", "{}")
    assert args[:5] == ("ls", "--select", "state:modified+", "--state", "/s")
    assert {args[i + 1] for i, a in enumerate(args) if a == "--resource-type"} == set(s.LS_RESOURCE_TYPES)


def test_ls_without_a_production_manifest_lists_every_node() -> None:
    args = s.ls_args("", "{}")
    assert args[:3] == ("ls", "--vars", "{}")
    assert "--select" not in args and "--state" not in args
    assert {args[i + 1] for i, a in enumerate(args) if a == "--resource-type"} == set(s.LS_RESOURCE_TYPES)


def test_plan_without_a_production_manifest_builds_everything_and_says_why() -> None:
    p = s.build_plan(_inputs(state_dir="", full_build="prod has no published deploy yet", clone=("x",)))
    assert [(st.name, st.action) for st in p.steps] == [("build", "dbt")]
    assert p.step("build").dbt_args == ("build", "--vars", '{"pipelineops_pr":7}')
    assert "--defer" not in p.step("build").dbt_args
    assert (
        p.step("build").why
        == "build and test every node (3 nodes) into CI_PR_7*: prod has no published deploy yet"
    )


def test_full_build_explains_every_node_with_the_reason_models_first() -> None:
    pr = s.read_manifest(STATE)
    ids = sorted(pr.nodes)
    explained = s.explain_full(pr, [*reversed(ids), "model.demo.gone"], "no production manifest yet")
    assert {e.unique_id for e in explained} == set(ids)
    assert all(e.role == "selected" and e.reasons == ("no production manifest yet",) for e in explained)
    kinds = [e.resource_type == "model" for e in explained]
    assert kinds == sorted(kinds, reverse=True)


def test_colour_state_points_clone_targets_at_the_live_colour() -> None:
    m = {
        "nodes": {
            "model.demo.fct_orders": {
                "name": "fct_orders",
                "schema": "MARTS",
                "database": "ANALYTICS",
                "alias": "fct_orders",
            },
            "model.demo.stg": {"name": "stg", "schema": "STAGING", "database": "ANALYTICS"},
            "model.demo.other": {"name": "other", "schema": "SCRATCH", "database": "ANALYTICS"},
        }
    }
    out = s.colour_state(
        m, colour="GREEN", consumer_schemas=("marts", "SCRATCHY"), names=("fct_orders", "other")
    )
    nodes: Any = out["nodes"]
    assert nodes["model.demo.fct_orders"]["schema"] == "MARTS__GREEN"
    assert nodes["model.demo.fct_orders"]["relation_name"] == '"ANALYTICS"."MARTS__GREEN"."fct_orders"'
    assert nodes["model.demo.stg"]["schema"] == "STAGING"  # not a clone target
    assert nodes["model.demo.other"]["schema"] == "SCRATCH"  # not a consumer schema
    assert m["nodes"]["model.demo.fct_orders"]["schema"] == "MARTS"  # input untouched


def test_tally_counts_by_kind_and_collects_failures() -> None:
    t = s.tally(
        7,
        [
            s.Outcome("model.demo.a", "success"),
            s.Outcome("seed.demo.b", "success"),
            s.Outcome("test.demo.c", "pass"),
            s.Outcome("unit_test.demo.a.u", "pass"),
            s.Outcome("test.demo.d", "warn", "2 rows", 2),
            s.Outcome("test.demo.e", "fail", "Got 3 results", 3),
            s.Outcome("model.demo.f", "error", "syntax error"),
            s.Outcome("model.demo.g", "skipped"),
            s.Outcome("exposure.demo.h", "no-op"),
        ],
    )
    assert (t.selected, t.built, t.passed, t.warned, t.failed, t.skipped) == (7, 2, 2, 1, 2, 1)
    assert [f.unique_id for f in t.failures] == ["test.demo.e", "model.demo.f"]


@pytest.mark.parametrize(
    "ref", ["origin/main", "main", "release/v1.2", "3d3c42e5aac5ba805825da76410c181273ba90b1"]
)
def test_ordinary_git_refs_are_accepted(ref: str) -> None:
    assert s.check_git_ref(ref) == ref


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=x",
        "main..evil",
        "a;b",
        "a b",
        "feat/\uff4dain",
        "x" * 300,
        "main/",
        "a//b",
        "main.lock",
        "'main'",
        "",
    ],
)
def test_hostile_git_refs_are_refused(ref: str) -> None:
    with pytest.raises(UserError, match="not a git ref"):
        s.check_git_ref(ref)


def test_macro_changes_are_found_through_nested_and_cyclic_macro_calls() -> None:
    def nest(m: dict[str, Any]) -> None:
        m["macros"]["macro.demo.cents"]["depends_on"]["macros"] = ["macro.demo.inner", "macro.dbt.gone"]
        m["macros"]["macro.demo.inner"] = {"macro_sql": "v2", "depends_on": {"macros": ["macro.demo.cents"]}}

    def old(m: dict[str, Any]) -> None:
        nest(m)
        m["macros"]["macro.demo.inner"]["macro_sql"] = "v1"

    global STATE
    saved, STATE = STATE, _pr(old)
    try:
        assert _explain(_pr(nest), ["model.demo.stg_orders"])["stg_orders"] == (
            "modified",
            ("macro changed: inner",),
        )
    finally:
        STATE = saved


def test_readers_are_runnable_nodes_only_and_found_once_in_a_diamond() -> None:
    def change(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.stg_customers"]["checksum"]["checksum"] = "c1"
        m["nodes"]["model.demo.stg_orders"]["checksum"]["checksum"] = "c1"
        a = _node("an_analysis", kind="analysis", code="{{ var('lookback') }}")
        m["nodes"][a["unique_id"]] = a

    pr = _pr(change)
    got = _explain(pr, [*DOWNSTREAM, "model.demo.stg_customers"])
    assert got["fct_orders"] == ("downstream", ("downstream of stg_customers",))
    assert _spots(pr, [], pr_vars={"lookback": 9})["vars"].nodes == ()


def test_ephemeral_parents_are_not_cloned() -> None:
    def change(m: dict[str, Any]) -> None:
        m["nodes"]["model.demo.fct_orders"]["checksum"]["checksum"] = "c1"
        m["nodes"]["model.demo.stg_customers"]["config"]["materialized"] = "ephemeral"

    pr = _pr(change)
    state = s.read_manifest(pr)  # production has the ephemeral parent too
    explained = s.explain(s.read_manifest(pr), state, ["model.demo.fct_orders"])
    explained = tuple(
        e if e.name != "fct_orders" else s.Explained(**{**e.__dict__, "role": "modified"}) for e in explained
    )
    assert s.clone_targets(s.read_manifest(pr), state, explained) == ("fct_orders", "int_orders")


def test_nearest_modified_ancestor_through_a_diamond_and_downstream_incrementals_clone_themselves() -> None:
    def change(m: dict[str, Any]) -> None:
        m["nodes"]["seed.demo.raw_orders"]["checksum"]["checksum"] = "c1"
        m["nodes"]["model.demo.stg_customers"]["depends_on"]["nodes"] = ["model.demo.stg_orders"]

    pr = _pr(change)
    selected = ["seed.demo.raw_orders", *DOWNSTREAM, "model.demo.stg_customers"]
    explained = s.explain(s.read_manifest(pr), s.read_manifest(STATE), selected)
    assert {e.name: e.reasons for e in explained}["fct_orders"] == ("downstream of raw_orders",)
    assert s.clone_targets(s.read_manifest(pr), s.read_manifest(STATE), explained) == ("fct_orders",)
