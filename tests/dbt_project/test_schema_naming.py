"""generate_schema_name is a contract with the pipelineops CLI (dbt/README.md, "Schemas and vars").
Parse-level checks of every branch, and one real PR-schema build on the local engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .dbt_helpers import LocalWarehouse, by_name, expected_warn_tests, run_dbt, shared_scenario, summarise

pytestmark = pytest.mark.e2e


def _schemas(result: Any) -> dict[str, str]:
    manifest = result.artifact("manifest.json")
    return {
        n["name"]: n["schema"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")
    }


PARSE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "dev": ("local_dev", {}),
    "green": ("local_ci", {"pipelineops_colour": "GREEN"}),
    "blue_prod": ("local_prod", {"pipelineops_colour": "BLUE"}),
    "pr": ("local_ci", {"pipelineops_pr": "42", "pipelineops_colour": "BLUE"}),
    "empty_vars": ("local_dev", {"pipelineops_pr": "", "pipelineops_colour": ""}),
    "bad_colour": ("local_ci", {"pipelineops_colour": "blue"}),
    "bad_pr": ("local_ci", {"pipelineops_pr": "0"}),
}


def _parse_all(workdir: Path) -> dict[str, Any]:
    env = LocalWarehouse(workdir / "unused").env()  # dbt parse never connects
    out: dict[str, Any] = {}
    for label, (target, dbt_vars) in PARSE_CASES.items():
        result = run_dbt(
            ["parse", "--target", target], workdir=workdir, label=label, env=env, dbt_vars=dbt_vars
        )
        out[label] = {
            "returncode": result.returncode,
            "output": result.output[-3000:],
            "schemas": _schemas(result) if result.returncode == 0 else {},
        }
    return out


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return shared_scenario(tmp_path_factory, "schema_naming_parse", _parse_all)


def test_colour_suffixes_the_upper_cased_custom_schema(parsed: dict[str, Any]) -> None:
    for label, colour in (("green", "GREEN"), ("blue_prod", "BLUE")):
        assert parsed[label]["returncode"] == 0, parsed[label]["output"]
        schemas = parsed[label]["schemas"]
        assert schemas["stg_orders"] == f"STAGING__{colour}"
        assert schemas["int_orders_enriched"] == f"INTERMEDIATE__{colour}"
        assert schemas["fct_orders"] == f"MARTS__{colour}"
        assert schemas["dim_customers"] == f"MARTS__{colour}"


def test_seeds_go_to_the_shared_raw_schema_whatever_the_colour(parsed: dict[str, Any]) -> None:
    for label in ("dev", "green", "blue_prod", "empty_vars"):
        assert parsed[label]["schemas"]["raw_orders"] == "RAW", label


def test_pr_schema_prefixes_everything_including_seeds(parsed: dict[str, Any]) -> None:
    for label in ("pr",):  # PR wins over colour; a numeric string is accepted
        schemas = parsed[label]["schemas"]
        assert schemas["raw_orders"] == "CI_PR_42_RAW"
        assert schemas["stg_orders"] == "CI_PR_42_STAGING"
        assert schemas["int_order_lines"] == "CI_PR_42_INTERMEDIATE"
        assert schemas["fct_daily_revenue"] == "CI_PR_42_MARTS"


def test_without_vars_dbt_default_naming_applies(parsed: dict[str, Any]) -> None:
    for label in ("dev", "empty_vars"):
        assert parsed[label]["schemas"]["stg_orders"] == "dev_staging"
        assert parsed[label]["schemas"]["fct_orders"] == "dev_marts"


def test_invalid_colour_is_a_compiler_error_naming_the_var(parsed: dict[str, Any]) -> None:
    result = parsed["bad_colour"]
    assert result["returncode"] != 0
    assert "var pipelineops_colour must be BLUE or GREEN, got 'blue'" in result["output"]


def test_invalid_pr_number_is_a_compiler_error_naming_the_var(parsed: dict[str, Any]) -> None:
    result = parsed["bad_pr"]
    assert result["returncode"] != 0
    assert "var pipelineops_pr must be a positive integer" in result["output"]


PR_VARS = {"pipelineops_pr": 7, "pipelineops_raw_schema": "CI_PR_7_RAW"}


def _pr_build(workdir: Path) -> dict[str, Any]:
    wh = LocalWarehouse.create(workdir)
    env = wh.env()
    env["PIPELINEOPS_LOCAL_DIR"] += "/"  # a trailing slash is tolerated
    result = run_dbt(
        ["build", "--target", "local_ci"], workdir=workdir, label="build", env=env, dbt_vars=PR_VARS
    )
    summary = summarise(result)
    with wh.connect() as con:
        summary["tables"] = sorted(
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = 'lake'"
            ).fetchall()
        )
    return summary


@pytest.fixture(scope="module")
def pr_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return shared_scenario(tmp_path_factory, "pr_build", _pr_build)


def test_pr_build_writes_only_pr_schemas(pr_build: dict[str, Any]) -> None:
    assert pr_build["returncode"] == 0, pr_build["output_tail"]
    schemas = {t.split(".")[0] for t in pr_build["tables"]}
    assert schemas == {"CI_PR_7_RAW", "CI_PR_7_STAGING", "CI_PR_7_INTERMEDIATE", "CI_PR_7_MARTS"}
    assert "CI_PR_7_MARTS.fct_orders" in pr_build["tables"]


def test_pr_build_reads_its_own_raw_schema_and_reports_the_same_defects(pr_build: dict[str, Any]) -> None:
    warned = {
        r["unique_id"].split(".")[2]: r["failures"] for r in pr_build["results"] if r["status"] == "warn"
    }
    assert warned == expected_warn_tests()
    assert by_name(pr_build)["fct_orders"]["status"] == "success"
