"""The reference project on dbt-snowflake: the profiles take every secret from the environment, `dbt parse`
works without a connection, and (e2e) the project compiles and builds on the fakesnow emulator with the
same defect counts as on the local engine. What the emulator cannot run is listed in dbt/README.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .dbt_helpers import DBT_DIR, by_name, expected_warn_tests, run_dbt, shared_scenario, summarise

SNOWFLAKE_TARGETS = ("dev", "ci", "staging", "prod")
LOCAL_TARGETS = ("local_dev", "local_ci", "local_staging", "local_prod")
RUNNER = Path(__file__).with_name("fakesnow_dbt.py")


def _profile() -> dict[str, Any]:
    return yaml.safe_load((DBT_DIR / "profiles.yml").read_text())["pipelineops_demo"]


def _snowflake_env(key_path: Path, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "SNOWFLAKE_", "PIPELINEOPS_"))}
    env.update(
        SNOWFLAKE_ACCOUNT="pipelineops-test.invalid",
        SNOWFLAKE_USER="CI_USER",
        SNOWFLAKE_ROLE="CI_ROLE",
        SNOWFLAKE_WAREHOUSE="CI_WH",
        SNOWFLAKE_DATABASE=database,
        SNOWFLAKE_PRIVATE_KEY_PATH=str(key_path),
        PIPELINEOPS_DBT_THREADS="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_USE_COLORS="false",
    )
    return env


def _write_key(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def test_profile_has_the_snowflake_and_local_targets() -> None:
    outputs = _profile()["outputs"]
    assert set(outputs) == set(SNOWFLAKE_TARGETS) | set(LOCAL_TARGETS)


@pytest.mark.parametrize("target", SNOWFLAKE_TARGETS)
def test_snowflake_targets_use_key_pair_auth_from_env(target: str) -> None:
    out = _profile()["outputs"][target]
    assert out["type"] == "snowflake"
    assert out["authenticator"] == "snowflake_jwt"
    assert "password" not in out
    for field in ("account", "user", "role", "warehouse", "database"):
        assert out[field] == f"{{{{ env_var('SNOWFLAKE_{field.upper()}') }}}}", field
    assert "env_var('SNOWFLAKE_PRIVATE_KEY'" in out["private_key"]
    assert "env_var('SNOWFLAKE_PRIVATE_KEY_PATH'" in out["private_key_path"]
    assert (
        "env_var('PIPELINEOPS_QUERY_TAG'" in out["query_tag"]
        and f"'dbt_target': '{target}'" in out["query_tag"]
    )


@pytest.mark.parametrize("target", LOCAL_TARGETS)
def test_local_targets_use_ducklake_with_one_thread(target: str) -> None:
    out = _profile()["outputs"][target]
    assert out["type"] == "duckdb"
    assert out["threads"] == 1
    assert out["database"] == "lake"
    assert "PIPELINEOPS_DUCKDB_EXTENSION_DIR" in out["config_options"]["extension_directory"]
    (attach,) = out["attach"]
    assert attach["alias"] == "lake"
    assert attach["path"].startswith("ducklake:{{ env_var('PIPELINEOPS_LOCAL_DIR'")
    assert attach["path"].endswith("/catalog.ducklake")
    assert attach["options"]["data_path"].endswith("/data")


def test_no_secret_literal_in_profiles() -> None:
    text = (DBT_DIR / "profiles.yml").read_text()
    assert "PRIVATE KEY-----" not in text
    assert "password:" not in text


@pytest.mark.e2e
def test_parse_on_snowflake_target_needs_no_connection(tmp_path: Path) -> None:
    # the account host does not resolve and the key file does not exist: any connection attempt would fail
    env = _snowflake_env(tmp_path / "missing.p8", "ANALYTICS_PROD")
    result = run_dbt(
        ["parse", "--target", "prod"],
        workdir=tmp_path,
        label="parse",
        env=env,
        dbt_vars={"pipelineops_colour": "GREEN"},
    )
    assert result.returncode == 0, result.output
    assert "Registered adapter: snowflake" in result.output
    nodes = result.artifact("manifest.json")["nodes"]
    fct = nodes["model.pipelineops_demo.fct_orders"]
    assert (fct["database"], fct["schema"]) == ("ANALYTICS_PROD", "MARTS__GREEN")
    assert nodes["seed.pipelineops_demo.raw_orders"]["schema"] == "RAW"


FAKESNOW_VARS = {"pipelineops_colour": "BLUE", "pipelineops_tmp_relation_type": "transient"}
SEED_NAMES = (
    "raw_customers",
    "raw_orders",
    "raw_order_items",
    "raw_payments",
    "raw_products",
    "raw_shipments",
)


def _fakesnow(workdir: Path) -> dict[str, Any]:
    env = _snowflake_env(_write_key(workdir / "ci_key.p8"), "ANALYTICS")
    seeds = yaml.safe_load((DBT_DIR / "seeds" / "_raw__seeds.yml").read_text())["seeds"]
    columns = {s["name"]: s["config"]["column_types"] for s in seeds}
    common = [
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--vars",
        json.dumps(FAKESNOW_VARS),
    ]

    def inv(label: str, *args: str) -> list[str]:
        paths = [
            "--target-path",
            str(workdir / label / "target"),
            "--log-path",
            str(workdir / label / "logs"),
        ]
        return [*args, *common, *paths]

    invocations = {
        # dbt's own seed path, on the smallest table (see fakesnow_dbt.py for the INSERT OVERWRITE rewrite)
        "seed": inv("seed", "seed", "--target", "ci", "--select", "raw_products"),
        "compile": inv("compile", "compile", "--target", "prod"),
        "build": inv(
            "build", "build", "--target", "ci", "--exclude", "resource_type:seed", "resource_type:unit_test"
        ),
        "raw_tests": inv("raw_tests", "test", "--target", "ci", "--select", *SEED_NAMES),
        "freshness": inv("freshness", "source", "freshness", "--target", "ci"),
        "incremental": inv(
            "incremental",
            "build",
            "--target",
            "ci",
            "--select",
            "fct_orders+",
            "fct_daily_revenue+",
            "--exclude",
            "resource_type:unit_test",
        ),
    }
    plan = {
        "database": "ANALYTICS",
        "load_raw": {n: str(DBT_DIR / "seeds" / f"{n}.csv") for n in SEED_NAMES if n != "raw_products"},
        "raw_columns": columns,
        "invocations": list(invocations.values()),
    }
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    proc = subprocess.run(
        [sys.executable, str(RUNNER), str(plan_path)],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    (workdir / "output.txt").write_text(proc.stdout + proc.stderr)
    out: dict[str, Any] = {"returncode": proc.returncode, "output_tail": (proc.stdout + proc.stderr)[-4000:]}
    for label in invocations:
        rr = workdir / label / "target" / "run_results.json"
        if rr.exists():
            out[label] = summarise(_Result(workdir / label / "target"))
    sources = workdir / "freshness" / "target" / "sources.json"
    if sources.exists():
        out["sources"] = {
            r["unique_id"].split(".")[-1]: r["status"] for r in json.loads(sources.read_text())["results"]
        }
    return out


class _Result:
    """The bit of DbtResult that summarise() reads."""

    def __init__(self, target_path: Path) -> None:
        self.target_path = target_path
        self.returncode = 0
        self.output = ""


@pytest.fixture(scope="module")
def fakesnow_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return shared_scenario(tmp_path_factory, "fakesnow", _fakesnow)


@pytest.mark.e2e
def test_fakesnow_lane_runs_every_invocation(fakesnow_run: dict[str, Any]) -> None:
    assert fakesnow_run["returncode"] == 0, fakesnow_run["output_tail"]
    for label in ("seed", "compile", "build", "raw_tests", "incremental"):
        assert label in fakesnow_run, label


@pytest.mark.e2e
def test_fakesnow_build_passes_every_model_and_test(fakesnow_run: dict[str, Any]) -> None:
    build = fakesnow_run["build"]
    statuses = {r["unique_id"]: r["status"] for r in build["results"]}
    assert statuses and set(statuses.values()) <= {"success", "pass", "no-op"}, statuses
    results = by_name(build)
    for mart in ("dim_customers", "dim_products", "fct_orders", "fct_daily_revenue"):
        assert results[mart]["status"] == "success", mart


@pytest.mark.e2e
def test_fakesnow_reports_the_catalogued_defects(fakesnow_run: dict[str, Any]) -> None:
    results = fakesnow_run["raw_tests"]["results"]
    warned = {r["unique_id"].split(".")[2]: r["failures"] for r in results if r["status"] == "warn"}
    assert warned == expected_warn_tests()


@pytest.mark.e2e
def test_fakesnow_incremental_rerun_succeeds(fakesnow_run: dict[str, Any]) -> None:
    results = by_name(fakesnow_run["incremental"])
    assert results["fct_orders"]["status"] == "success"
    assert results["fct_daily_revenue"]["status"] == "success"
    assert results["assert_daily_revenue_matches_orders"]["status"] == "pass"


@pytest.mark.e2e
def test_fakesnow_source_freshness_reports_only_the_stale_feed(fakesnow_run: dict[str, Any]) -> None:
    assert fakesnow_run["sources"] == {
        "customers": "pass",
        "products": "pass",
        "orders": "pass",
        "order_items": "pass",
        "payments": "pass",
        "shipments": "warn",
    }
