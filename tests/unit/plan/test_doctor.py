"""The doctor's verdicts: each check passes, warns or fails on the facts given, and names the fix."""

from __future__ import annotations

from pipelineops.plan import doctor as d
from pipelineops.plan.doctor import Check, EnvFacts, NodePlace


def places(*pairs: tuple[str, str], kind: str = "model") -> list[NodePlace]:
    return [NodePlace(uid, kind, schema) for uid, schema in pairs]


def test_schema_macro_passes_when_colours_and_pr_schemas_are_honoured() -> None:
    colours = {
        "BLUE": places(("m.a", "STG__BLUE"), ("m.b", "MARTS__BLUE")) + places(("s.r", "raw"), kind="seed"),
        "GREEN": places(("m.a", "STG__GREEN"), ("m.b", "MARTS__GREEN")),
    }
    check = d.schema_macro(colours, 7, places(("m.a", "CI_PR_7_STG"), ("m.b", "ci_pr_7")))
    assert check.status == "pass" and "2 model(s)" in check.detail


def test_schema_macro_fails_on_a_macro_without_colours_or_pr_suffix() -> None:
    colours = {"BLUE": places(("m.a", "analytics_staging")), "GREEN": places(("m.a", "STG__BLUE"))}
    check = d.schema_macro(colours, 3, places(("m.a", "CI_PR_30")))
    assert check.status == "fail"
    assert "not in a __BLUE schema (e.g. m.a)" in check.detail
    assert "not in a __GREEN schema" in check.detail and "CI_PR_3[_<SCHEMA>]" in check.detail
    assert "pipelineops init" in check.fix


def test_schema_macro_of_an_empty_project_passes() -> None:
    assert d.schema_macro({}, 1, []).status == "pass"


def test_consumer_schemas_fail_when_one_receives_no_model() -> None:
    nodes = places(("m.a", "STAGING__BLUE"), ("m.b", "FINANCE__BLUE"), ("m.c", "plain"))
    check = d.consumer_schemas(("STAGING", "MARTS"), nodes)
    assert check.status == "fail"
    assert "no model lands in MARTS: nothing to publish" in check.detail
    assert check.fix == "in pipelineops.yml set layout.consumer_schemas: [FINANCE, STAGING]"


def test_consumer_schemas_warn_on_schemas_built_but_never_published() -> None:
    nodes = places(("m.a", "STAGING__BLUE"), ("m.b", "FINANCE__BLUE"), ("m.c", "STAGING__BLUE"))
    check = d.consumer_schemas(("staging",), nodes)
    assert check.status == "warn" and check.detail.startswith("staging 2;") and "FINANCE" in check.detail


def test_consumer_schemas_pass_and_count_models() -> None:
    check = d.consumer_schemas(("STAGING",), places(("m.a", "STAGING__GREEN")))
    assert check == Check("consumer schemas", "pass", "STAGING 1")


def test_consumer_schemas_of_a_macro_without_colours_point_at_the_macro() -> None:
    check = d.consumer_schemas(("MARTS",), places(("m.a", "MARTS"), ("m.b", "STAGING")))
    assert check.status == "fail" and "no model in a colour schema" in check.detail
    assert "pipelineops_colour" in check.detail and check.fix == d.MACRO_FIX


def test_consumer_schemas_with_no_coloured_model_name_none() -> None:
    check = d.consumer_schemas(("MARTS",), [])
    assert check.status == "fail" and check.detail.endswith("models land in: none")


ENVS = [
    EnvFacts("dev", "duckdb", "local_dev", "/w/prod"),
    EnvFacts(
        "prod", "duckdb", "local_prod", "/w/prod", "set environments.{env}.local_dir to {of}'s (/w/prod)"
    ),
]


def test_targets_pass_when_every_target_exists_with_the_engine_adapter() -> None:
    check = d.targets(ENVS, "p", {"local_dev": "duckdb", "local_prod": "duckdb"})
    assert check.status == "pass" and "prod → local_prod" in check.detail


def test_targets_name_the_config_key_of_a_missing_or_wrong_target() -> None:
    check = d.targets(ENVS, "p", {"local_dev": "snowflake", "other": "duckdb"})
    assert check.status == "fail"
    assert "prod: target 'local_prod' is not in profile 'p'" in check.detail
    assert "environments.prod.dbt_target" in check.fix and "other" in check.fix
    assert "dev: target 'local_dev' is a snowflake target" in check.detail
    assert "environments.dev.dbt_target" in check.fix


def test_targets_with_a_templated_adapter_type_are_not_judged() -> None:
    templated = "{{ env_var('DBT_ADAPTER') }}"
    assert d.targets(ENVS, "p", {"local_dev": templated, "local_prod": "duckdb"}).status == "pass"


def test_targets_with_an_empty_profile_list_none() -> None:
    check = d.targets(ENVS[:1], "p", {})
    assert "one of: none" in check.fix


def test_targets_fail_when_the_profile_is_missing() -> None:
    check = d.targets(ENVS, "p", None)
    assert check.status == "fail" and "profile 'p' not found" in check.detail


def test_defer_passes_on_one_warehouse() -> None:
    assert d.defer(ENVS[0], ENVS[1]).status == "pass"


def test_defer_fails_on_another_local_warehouse_and_names_local_dir() -> None:
    check = d.defer(EnvFacts("dev", "duckdb", "t", "/w/dev"), ENVS[1])
    assert check.status == "fail"
    assert check.fix == "set environments.dev.local_dir to prod's (/w/prod)"


def test_defer_fails_on_another_snowflake_account() -> None:
    prod = EnvFacts(
        "prod",
        "snowflake",
        "prod",
        "snowflake account a",
        "give environments.{env} the Snowflake account of {of}",
    )
    check = d.defer(EnvFacts("dev", "snowflake", "dev", "snowflake account b"), prod)
    assert check.status == "fail" and "Snowflake account of prod" in check.fix


def test_local_dir_variable() -> None:
    dirs = ["/w/prod", "/w/staging"]
    assert d.local_dir_variable(None, dirs).status == "pass"
    relative = d.local_dir_variable(".pipelineops/warehouse/prod", dirs)
    assert relative.status == "warn" and "relative" in relative.detail and "/w/prod" in relative.fix
    other = d.local_dir_variable("/elsewhere", dirs)
    assert other.status == "warn" and "no configured" in other.detail
    assert d.local_dir_variable("/w/prod/", dirs) == Check("PIPELINEOPS_LOCAL_DIR", "pass", "/w/prod/")


def test_raw_data() -> None:
    assert d.raw_data("RAW", None, "prod").status == "warn"
    empty = d.raw_data("RAW", [], "prod")
    assert empty.status == "warn" and "no relation in schema RAW" in empty.detail
    assert d.raw_data("RAW", ["orders"], "prod").detail == "1 relation(s) in RAW"


def test_refusal_names_every_failed_check_and_its_fix() -> None:
    ok = Check("a", "pass", "fine")
    assert d.refusal("slim-ci", [ok, Check("w", "warn", "hm", "x")]) is None
    err = d.refusal("slim-ci", [ok, Check("b", "fail", "bad", "fix b"), Check("c", "fail", "worse", "fix c")])
    assert err is not None and err.exit_code == 2
    assert err.what == "slim-ci refused before changing anything: b: bad"
    assert err.why == "c: worse" and err.fix.startswith("fix b\nfix c\n")
    assert d.conclusion([ok]) == "success" and d.conclusion([Check("b", "fail", "x")]) == "failure"
