"""Column-aware narrowing: planted compiled-SQL pairs, each asserting the exact set slim-ci builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pipelineops.plan import impact as im
from pipelineops.plan.manifest_facts import read_manifest
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Dialect

OUTSIDE = ("raw", "dim")  # parents that state:modified+ does not select


def rel(name: str, dialect: Dialect = DUCKDB) -> str:
    return f'"lake"."S"."{name}"' if dialect is DUCKDB else f"ANALYTICS.S.{name.upper()}"


@dataclass
class Model:
    name: str
    new: str | None  # the PR's compiled SQL ({name} placeholders become relation names)
    old: str | None = None  # production's; None: the same as new
    parents: tuple[str, ...] = ()
    kind: str = "model"
    materialized: str = "table"
    language: str = "sql"
    raw: str = "select 1"
    macros: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)


def project(
    models: list[Model],
    *,
    modified: dict[str, tuple[str, ...]],
    dialect: Dialect = DUCKDB,
    tests: dict[str, tuple[str, ...]] | None = None,
    macros: dict[str, str] | None = None,
    unexplained: tuple[str, ...] = (),
    modified_tests: tuple[str, ...] = (),
) -> im.Impact:
    """Run the analysis over ``models`` (every one a candidate) and the tests on them."""
    names = {m.name: f"{m.kind}.p.{m.name}" for m in models}
    fill = {m.name: rel(m.name, dialect) for m in models}
    nodes: dict[str, Any] = {}
    pr_sql: dict[str, im.Sql] = {}
    state_sql: dict[str, im.Sql] = {}
    for m in models:
        uid = names[m.name]
        nodes[uid] = {
            "resource_type": m.kind,
            "name": m.name,
            "config": {"materialized": m.materialized, **m.config},
            "depends_on": {"nodes": [names[p] for p in m.parents], "macros": list(m.macros)},
            "raw_code": m.raw,
        }
        new = m.new.format(**fill) if m.new is not None else None
        old = m.old.format(**fill) if m.old is not None else new
        pr_sql[uid] = im.Sql(new, fill[m.name], m.language)
        state_sql[uid] = im.Sql(old, fill[m.name], m.language)
    for test, on in (tests or {}).items():
        nodes[f"test.p.{test}"] = {
            "resource_type": "test",
            "name": test,
            "config": {},
            "depends_on": {"nodes": [names[p] for p in on], "macros": []},
        }
    manifest = {
        "nodes": nodes,
        "macros": {
            uid: {"macro_sql": sql, "depends_on": {"macros": []}} for uid, sql in (macros or {}).items()
        },
    }
    candidates = [
        im.Candidate(
            uid,
            nodes[uid]["name"] in modified or nodes[uid]["name"] in unexplained,
            modified.get(nodes[uid]["name"], ()),
            explained=nodes[uid]["name"] not in unexplained,
        )
        for uid in nodes
        if nodes[uid]["name"] not in OUTSIDE
    ]
    candidates = [
        im.Candidate(c.unique_id, True) if c.unique_id.split(".")[-1] in modified_tests else c
        for c in candidates
    ]
    return im.analyse(
        candidates, pr=read_manifest(manifest), pr_sql=pr_sql, state_sql=state_sql, dialect=dialect
    )


def built(impact: im.Impact) -> set[str]:
    return {d.name for d in impact.built}


def why(impact: im.Impact, name: str) -> str:
    return next(d.why for d in impact.decisions if d.name == name)


FILE = {"stg": ("file changed: models/stg.sql",)}
STG_OLD = "select id, amount, status from {raw}"


def chain(stg_new: str, *children: Model, dialect: Dialect = DUCKDB, **kw: Any) -> im.Impact:
    raw = Model("raw", "select 1 as id, 2 as amount, 'x' as status", kind="model")
    stg = Model("stg", stg_new, STG_OLD, parents=("raw",))
    return project([raw, stg, *children], modified={**FILE}, dialect=dialect, **kw)


# --- the planted cases -----------------------------------------------------------------------------


def test_added_column_read_by_nobody_builds_only_the_changed_model_and_its_tests() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("orders", "select id, amount from {stg}", parents=("stg",)),
        Model("mart", "select id, sum(amount) as total from {orders} group by id", parents=("orders",)),
        tests={"not_null_stg_id": ("stg",), "unique_mart_id": ("mart",)},
    )
    assert built(impact) == {"stg", "not_null_stg_id"}
    assert why(impact, "stg") == "built: modified — added `extra`"
    assert why(impact, "orders") == "skipped: reads none of the changed columns (`extra`)"
    assert why(impact, "unique_mart_id") == "skipped: tests only nodes that are skipped"
    assert im.selection(impact) == ("stg", "not_null_stg_id")
    assert (impact.before, len(impact.built), len(impact.skipped)) == (5, 2, 3)
    assert "2 of 4 node(s)" not in im.totals(impact)
    assert im.totals(impact).startswith("1 of 3 node(s) and 1 of 2 test(s) built")


def test_added_column_read_by_one_mart_builds_that_path_only() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("int_a", "select id, extra from {stg}", parents=("stg",)),
        Model("int_b", "select id, amount from {stg}", parents=("stg",)),
        Model("mart_a", "select id, extra * 2 as doubled from {int_a}", parents=("int_a",)),
        Model(
            "mart_b",
            "select a.id, b.amount from {int_a} a join {int_b} b on a.id = b.id",
            parents=("int_a", "int_b"),
        ),
        Model("mart_c", "select id from {int_b}", parents=("int_b",)),
    )
    assert built(impact) == {"stg", "int_a", "mart_a"}
    assert why(impact, "int_a") == "built: reads `stg.extra` (changed)"
    assert why(impact, "mart_a") == "built: reads `int_a.extra` (changed)"
    assert why(impact, "mart_b").startswith("skipped: reads none of the changed columns (`extra`)")


def test_removed_column_read_downstream_is_built() -> None:
    impact = chain(
        "select id, amount from {raw}",
        Model("reads_status", "select id, status from {stg}", parents=("stg",)),
        Model("reads_amount", "select id, amount from {stg}", parents=("stg",)),
    )
    assert built(impact) == {"stg", "reads_status"}
    assert why(impact, "stg") == "built: modified — removed `status`"


def test_renamed_column_builds_the_readers_of_the_old_name() -> None:
    impact = chain(
        "select id, amount, status as state from {raw}",
        Model("reads_status", "select id, status from {stg}", parents=("stg",)),
        Model("reads_id", "select id from {stg}", parents=("stg",)),
    )
    assert built(impact) == {"stg", "reads_status"}
    assert why(impact, "stg") == "built: modified — added `state`; removed `status`"


def test_type_change_is_a_retype_and_builds_its_readers() -> None:
    raw = Model("raw", "select 1 as id, 2 as amount", kind="model")
    stg = Model(
        "stg",
        "select id, cast(amount as bigint) as amount from {raw}",
        "select id, cast(amount as int) as amount from {raw}",
        parents=("raw",),
    )
    reader = Model("reader", "select amount from {stg}", parents=("stg",))
    other = Model("other", "select id from {stg}", parents=("stg",))
    impact = project([raw, stg, reader, other], modified=FILE)
    assert built(impact) == {"stg", "reader"}
    assert why(impact, "stg") == "built: modified — retyped `amount`"


def test_changed_expression_feeds_the_mart_that_reads_it() -> None:
    impact = chain(
        "select id, amount * 100 as amount, status from {raw}",
        Model("int", "select id, amount + 1 as gross, status from {stg}", parents=("stg",)),
        Model("mart_gross", "select id, gross from {int}", parents=("int",)),
        Model("mart_status", "select id, status from {int}", parents=("int",)),
    )
    assert built(impact) == {"stg", "int", "mart_gross"}
    assert why(impact, "stg") == "built: modified — changed expression of `amount`"
    assert why(impact, "mart_status") == "skipped: reads none of the changed columns (`gross`)"


def test_changed_where_builds_everything_downstream() -> None:
    impact = chain(
        "select id, amount, status from {raw} where amount > 0",
        Model("int", "select id from {stg}", parents=("stg",)),
        Model("mart", "select count(*) as n from {int}", parents=("int",)),
    )
    assert built(impact) == {"stg", "int", "mart"}
    assert "filter/grain/join changed" in why(impact, "stg")
    assert why(impact, "int") == "built: reads `every column of stg` (changed)"


def test_select_star_downstream_is_kept_with_everything_it_feeds() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("wide", "select * from {stg}", parents=("stg",)),
        Model("narrow", "select id from {wide}", parents=("wide",)),
        Model("other", "select id from {stg}", parents=("stg",)),
    )
    assert built(impact) == {"stg", "wide", "narrow"}
    assert why(impact, "wide").startswith("built: select * over stg")


def test_select_star_over_an_unchanged_parent_does_not_make_a_node_unprovable() -> None:
    impact = chain(
        "select id, amount * 2 as amount, status from {raw}",
        Model("dim", "select 1 as id, 'x' as label", parents=()),
        Model(
            "mart",
            "select d.*, s.amount from {dim} d join {stg} s on s.id = d.id",
            parents=("dim", "stg"),
        ),
        Model("reads_amount", "select amount from {mart}", parents=("mart",)),
        Model("reads_label", "select label from {mart}", parents=("mart",)),
    )
    assert built(impact) == {"stg", "mart", "reads_amount"}


def test_join_key_change_builds_everything_downstream() -> None:
    raw = Model("raw", "select 1 as id, 2 as other_id, 3 as amount")
    dim = Model("dim", "select 1 as id, 'x' as label")
    stg = Model(
        "stg",
        "select r.id, r.amount, d.label from {raw} r join {dim} d on d.id = r.other_id",
        "select r.id, r.amount, d.label from {raw} r join {dim} d on d.id = r.id",
        parents=("raw", "dim"),
    )
    reader = Model("reader", "select id from {stg}", parents=("stg",))
    impact = project([raw, dim, stg, reader], modified=FILE)
    assert built(impact) == {"stg", "reader"}
    assert "filter/grain/join changed" in why(impact, "stg")


def test_cte_and_alias_chains_are_followed() -> None:
    impact = chain(
        "select id, amount * 2 as amount, status from {raw}",
        Model(
            "via_cte",
            "with base as (select id, amount as amt from {stg} s), renamed as (select id, amt as total from base) "
            "select r.id, r.total from renamed as r",
            parents=("stg",),
        ),
        Model(
            "cte_without_it",
            "with base as (select id, status as st from {stg}) select b.id, b.st from base b",
            parents=("stg",),
        ),
        Model("reads_total", "select total from {via_cte}", parents=("via_cte",)),
        Model("reads_id", "select id from {via_cte}", parents=("via_cte",)),
    )
    assert built(impact) == {"stg", "via_cte", "reads_total"}
    assert next(d.changed for d in impact.decisions if d.name == "via_cte") == ("total",)


def test_quoted_and_case_folded_identifiers_on_snowflake() -> None:
    raw = Model("raw", "select 1 as id, 2 as amount")
    stg = Model(
        "stg",
        'select id, amount, 1 as "Extra" from {raw}',
        "select id, amount from {raw}",
        parents=("raw",),
    )
    folded = Model("folded", "select ID, extra from {stg}", parents=("stg",))  # EXTRA: another column
    quoted = Model("quoted", 'select "Extra" from {stg}', parents=("stg",))
    impact = project([raw, stg, folded, quoted], modified=FILE, dialect=SNOWFLAKE)
    assert built(impact) == {"stg", "quoted"}
    assert why(impact, "quoted") == "built: reads `stg.Extra` (changed)"


def test_unquoted_names_fold_to_upper_case_on_snowflake() -> None:
    raw = Model("raw", "select 1 as id, 2 as amount")
    stg = Model(
        "stg", "select id, amount + 1 as amount from {raw}", "select id, amount from {raw}", parents=("raw",)
    )
    reads = Model("reads", 'select "AMOUNT" from {stg}', parents=("stg",))
    mixed = Model("mixed", "select Amount from {stg}", parents=("stg",))
    lower = Model("lower", 'select "amount" from {stg}', parents=("stg",))
    impact = project([raw, stg, reads, mixed, lower], modified=FILE, dialect=SNOWFLAKE)
    assert built(impact) == {"stg", "reads", "mixed"}


def test_macro_generated_column_list_is_read_from_the_compiled_sql() -> None:
    raw_code = "select {% for c in ['id', 'amount'] %}{{ c }}{{ ',' if not loop.last }}{% endfor %} from {{ ref('stg') }}"
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model(
            "generated",
            "select id, amount from {stg}",
            parents=("stg",),
            raw=raw_code,
            macros=("macro.p.cols",),
        ),
        macros={"macro.p.cols": "{% macro cols() %}id, amount{% endmacro %}"},
    )
    assert built(impact) == {"stg"}


# --- what cannot be proved is built, with everything it feeds -----------------------------------------


def test_a_macro_that_reads_the_warehouse_keeps_the_node() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model(
            "starred",
            "select id, amount from {stg}",
            parents=("stg",),
            macros=("macro.dbt_utils.star",),
        ),
        Model("after", "select id from {starred}", parents=("starred",)),
        macros={"macro.dbt_utils.star": "{% set cols = adapter.get_columns_in_relation(from) %}"},
    )
    assert built(impact) == {"stg", "starred", "after"}
    assert why(impact, "starred") == (
        "built: its SQL comes from macros that read the warehouse, and everything it feeds"
    )


def test_raw_code_calling_run_query_keeps_the_node() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("queried", "select id from {stg}", parents=("stg",), raw="{% set r = run_query('select 1') %}"),
    )
    assert built(impact) == {"stg", "queried"}


def test_dbt_internal_macros_do_not_count_as_introspection() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model(
            "inc",
            "select id from {stg}",
            parents=("stg",),
            macros=("macro.dbt.is_incremental", "macro.p.none"),
        ),
        macros={"macro.dbt.is_incremental": "{{ adapter.get_relation(this) }}", "macro.p.none": "x"},
    )
    assert built(impact) == {"stg"}


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        (Model("py", "def model(dbt, s): pass", parents=("stg",), language="python"), "a python model"),
        (
            Model("eph", "select id from {stg}", parents=("stg",), materialized="ephemeral"),
            "an ephemeral model",
        ),
        (Model("snap", "select id from {stg}", parents=("stg",), kind="snapshot"), "a snapshot"),
        (
            Model("custom", "select id from {stg}", parents=("stg",), materialized="my_mat"),
            "materialized as my_mat",
        ),
        (Model("nomat", "select id from {stg}", parents=("stg",), materialized=""), "nothing known"),
        (Model("ana", "select id from {stg}", parents=("stg",), kind="analysis"), "a analysis"),
    ],
)
def test_unprovable_kinds_are_built_with_everything_they_feed(child: Model, reason: str) -> None:
    after = Model("after", "select 1 as x", parents=(child.name,))
    impact = chain("select id, amount, status, 1 as extra from {raw}", child, after)
    assert built(impact) == {"stg", child.name, "after"}
    assert reason in why(impact, child.name)
    assert why(impact, "after").startswith("built: reads ")


def test_sql_that_does_not_parse_keeps_the_node_and_its_descendants() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("broken", "select id from from {stg} where", parents=("stg",)),
        Model("after", "select id from {broken}", parents=("broken",)),
    )
    assert built(impact) == {"stg", "broken", "after"}
    assert "does not parse" in why(impact, "broken")


def test_a_descendant_without_compiled_sql_is_kept() -> None:
    impact = chain("select id, amount, status, 1 as extra from {raw}", Model("blank", None, parents=("stg",)))
    assert built(impact) == {"stg", "blank"}
    assert "the PR's compile has no SQL" in why(impact, "blank")


def test_a_changed_seed_keeps_everything_downstream() -> None:
    seed = Model("seed", None, kind="seed")
    child = Model("child", "select id from {seed}", parents=("seed",))
    impact = project([seed, child], modified={"seed": ("file changed: seeds/seed.csv",)})
    assert built(impact) == {"seed", "child"}
    assert why(impact, "seed") == "built: a changed seed, and everything it feeds"


def test_missing_production_sql_keeps_the_node_and_says_so() -> None:
    raw = Model("raw", "select 1 as id")
    stg = Model("stg", "select id, 1 as extra from {raw}", parents=("raw",))
    child = Model("child", "select id from {stg}", parents=("stg",))
    models = [raw, stg, child]
    impact = project(models, modified=FILE)
    assert built(impact) == {"stg"}  # with production's SQL (here the same) nothing changed
    stg.old = None
    stg.new = "select id, 2 as extra from {raw}"
    names = {"raw": rel("raw"), "stg": rel("stg"), "child": rel("child")}
    facts = read_manifest(
        {
            "nodes": {
                f"model.p.{m.name}": {
                    "resource_type": "model",
                    "name": m.name,
                    "config": {"materialized": "table"},
                    "depends_on": {"nodes": [f"model.p.{p}" for p in m.parents]},
                }
                for m in models
            }
        }
    )
    pr_sql = {
        f"model.p.{m.name}": im.Sql((m.new or "").format(**names), names[m.name], "sql") for m in models
    }
    state_sql = {**pr_sql, "model.p.stg": im.Sql(None, names["stg"], "sql")}
    cands = [im.Candidate("model.p.stg", True, FILE["stg"]), im.Candidate("model.p.child", False)]
    impact = im.analyse(cands, pr=facts, pr_sql=pr_sql, state_sql=state_sql, dialect=DUCKDB)
    assert built(impact) == {"stg", "child"}
    assert impact.notes == (
        "stg: production's compiled SQL is not available (the published manifest holds none for it, and it "
        "was not recompiled): kept, with everything it feeds",
    )


def test_a_config_change_or_an_unexplained_selection_counts_as_every_column() -> None:
    child = Model("child", "select id from {stg}", parents=("stg",))
    impact = chain(STG_OLD, child)
    assert built(impact) == {"stg"}
    assert why(impact, "stg") == "built: modified (no output column changed)"
    raw = Model("raw", "select 1 as id, 2 as amount, 'x' as status")
    stg = Model("stg", STG_OLD, parents=("raw",))
    impact = project([raw, stg, child], modified={"stg": ("config changed: materialized",)})
    assert built(impact) == {"stg", "child"}
    assert "its config changed" in why(impact, "stg")
    impact = project([raw, stg, child], modified={}, unexplained=("stg",))
    assert built(impact) == {"stg", "child"}
    assert "a reason the manifest diff does not show" in why(impact, "stg")


def test_a_parent_read_outside_the_sql_keeps_the_node() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("hidden", "select 1 as id", parents=("stg",)),  # -- depends_on: {{ ref('stg') }}
    )
    assert built(impact) == {"stg", "hidden"}
    assert "where its SQL does not show it" in why(impact, "hidden")


def test_a_modified_child_of_a_modified_parent_adds_what_it_reads() -> None:
    raw = Model("raw", "select 1 as id, 2 as amount")
    stg = Model(
        "stg", "select id, amount + 1 as amount from {raw}", "select id, amount from {raw}", parents=("raw",)
    )
    mid = Model(
        "mid", "select id, amount, 2 as two from {stg}", "select id, amount from {stg}", parents=("stg",)
    )
    reads = Model("reads", "select amount from {mid}", parents=("mid",))
    impact = project([raw, stg, mid, reads], modified={"stg": FILE["stg"], "mid": ("file changed",)})
    assert built(impact) == {"stg", "mid", "reads"}
    assert why(impact, "mid") == "built: modified — added `two`; reads `stg.amount` (changed)"


def test_a_node_whose_filter_reads_a_changed_column_changes_every_column() -> None:
    impact = chain(
        "select id, amount * 2 as amount, status from {raw}",
        Model("filtered", "select id, status from {stg} where amount > 0", parents=("stg",)),
        Model("reads_status", "select status from {filtered}", parents=("filtered",)),
    )
    assert built(impact) == {"stg", "filtered", "reads_status"}
    assert next(d.changed for d in impact.decisions if d.name == "filtered") == ("*",)


def test_a_star_output_that_changes_makes_every_column_change() -> None:
    raw = Model("raw", "select 1 as id")
    stg = Model("stg", "select *, 1 as extra from {raw}", "select * from {raw}", parents=("raw",))
    child = Model("child", "select id from {stg}", parents=("stg",))
    impact = project([raw, stg, child], modified=FILE)
    assert built(impact) == {"stg", "child"}
    assert why(impact, "stg") == "built: modified — its select * output changed"


def test_tests_run_when_a_node_they_test_is_built_or_when_they_changed() -> None:
    impact = chain(
        "select id, amount, status, 1 as extra from {raw}",
        Model("a", "select id from {stg}", parents=("stg",)),
        Model("b", "select id from {stg}", parents=("stg",)),
        tests={"rel_a_stg": ("a", "stg"), "t_b": ("b",), "changed_t": ("b",)},
        modified_tests=("changed_t",),
    )
    assert built(impact) == {"stg", "rel_a_stg", "changed_t"}
    assert why(impact, "rel_a_stg") == "built: tests stg, which is built"
    assert why(impact, "changed_t") == "built: the test itself changed"


def test_modes_and_sql_facts_read_the_manifest() -> None:
    assert im.MODES == ("columns", "nodes")
    facts = im.sql_facts(
        {
            "nodes": {
                "model.p.a": {"compiled_code": "select 1", "relation_name": '"x"."y"."a"', "language": "sql"},
                "model.p.b": {"compiled_code": "  ", "relation_name": None},
            }
        }
    )
    assert facts == {
        "model.p.a": im.Sql("select 1", '"x"."y"."a"', "sql"),
        "model.p.b": im.Sql(None, "", "sql"),
    }


def test_inline_candidates_are_modified_sql_models_without_production_sql() -> None:
    manifest = {
        "nodes": {
            f"model.p.{n}": {"resource_type": "model", "name": n, "config": {"materialized": "table"}}
            for n in ("a", "b", "c", "d", "e", "f")
        }
        | {"seed.p.s": {"resource_type": "seed", "name": "s", "config": {}}}
    }
    pr = read_manifest(manifest)
    state = {
        "model.p.a": im.Sql(None, "", "sql"),
        "model.p.b": im.Sql("select 1", "", "sql"),
        "model.p.c": im.Sql(None, "", "python"),
        "model.p.d": im.Sql(None, "", "sql"),
        "model.p.f": im.Sql(None, "", "sql"),
        "seed.p.s": im.Sql(None, "", "sql"),
    }
    cands = [
        im.Candidate("model.p.a", True, ("file changed",)),
        im.Candidate("model.p.b", True),
        im.Candidate("model.p.c", True),
        im.Candidate("model.p.d", True, ("macro changed: m",)),
        im.Candidate("model.p.e", True),  # not in production
        im.Candidate("model.p.f", False),  # downstream
        im.Candidate("seed.p.s", True),
        im.Candidate("model.p.gone", True),
    ]
    assert im.inline_candidates(cands, pr, state, 5) == (("model.p.a",), ())
    wanted, notes = im.inline_candidates(cands, pr, state, 0)
    assert wanted == ()
    assert notes == (
        "1 modified models without production's compiled code (more than 0): they and everything they feed are kept",
    )


def test_tables_of_maps_both_manifests_relations() -> None:
    pr = {"model.p.a": im.Sql(None, '"lake"."CI_PR_1"."a"', "sql"), "model.p.b": im.Sql(None, "", "sql")}
    state = {"model.p.a": im.Sql(None, '"lake"."PROD"."a"', "sql")}
    assert im.tables_of(pr, state, DUCKDB) == {
        ("lake", "ci_pr_1", "a"): "model.p.a",
        ("lake", "prod", "a"): "model.p.a",
    }
