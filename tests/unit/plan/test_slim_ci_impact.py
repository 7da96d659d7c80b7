"""The slim-ci plan with column-aware narrowing: the compile it needs and the build it runs."""

from __future__ import annotations

from pipelineops.plan import slim_ci as s
from pipelineops.plan.sql import DUCKDB


def _inputs(**kw: object) -> s.SlimInputs:
    base: dict[str, object] = {
        "pr": 4,
        "schema": "CI_PR_4",
        "dialect": DUCKDB,
        "state_dir": "/state",
        "state_source": "prod deploy d1",
        "vars_json": '{"pipelineops_pr":4}',
        "favor_state": True,
        "clone": (),
        "selected": 2,
    }
    return s.SlimInputs(**{**base, **kw})  # type: ignore[arg-type]


def test_the_narrowed_build_selects_the_built_nodes_by_name_and_still_defers() -> None:
    plan = s.build_plan(_inputs(narrowed=("stg_orders", "not_null_stg_orders_id"), narrowed_from=29))
    build = plan.step("build")
    assert build.dbt_args == (
        "build",
        "--select",
        "stg_orders",
        "not_null_stg_orders_id",
        "--defer",
        "--state",
        "/state",
        "--favor-state",
        "--vars",
        '{"pipelineops_pr":4}',
    )
    assert "the 2 of 29 state:modified+ nodes a change can affect (column-aware)" in build.why


def test_without_narrowing_the_build_is_state_modified_plus() -> None:
    build = s.build_plan(_inputs()).step("build")
    assert build.dbt_args[:3] == ("build", "--select", "state:modified+")
    assert "state:modified+ (2 nodes)" in build.why


def test_compile_and_inline_compile_defer_like_the_build() -> None:
    assert s.compile_args("/state", "{}", favor_state=True) == (
        "compile",
        "--select",
        "state:modified+",
        "--defer",
        "--state",
        "/state",
        "--favor-state",
        "--vars",
        "{}",
        "--quiet",
    )
    assert "--favor-state" not in s.compile_args("/state", "{}", favor_state=False)
    assert s.inline_args("select 1", "/state", "{}") == (
        "compile",
        "--inline",
        "select 1",
        "--defer",
        "--state",
        "/state",
        "--favor-state",
        "--vars",
        "{}",
        "--output",
        "json",
        "--quiet",
    )


def test_inline_sql_reads_the_compiled_text_dbt_printed() -> None:
    assert s.inline_sql(["{", '  "compiled": "select 1"', "}"]) == "select 1"
    assert s.inline_sql(["10:00:00 no json here"]) is None
    assert s.inline_sql(["{ not json }"]) is None
    assert s.inline_sql(['["compiled"]']) is None
    assert s.inline_sql(['{"compiled": "  "}']) is None
