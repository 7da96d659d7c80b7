"""generate_schema_name sends only the reference project's own seeds to the shared RAW schema.

A copy of dbt/ installs the local package tests/fixtures/dbt_local_package (packages.yml ``local:``; dbt
deps needs no network for it). Its seed follows the model rules: the colour schema, the PR schema or dbt's
default, never RAW, which belongs to the loader. One real seed on the local engine shows where it lands.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .dbt_helpers import DBT_BIN, DBT_DIR, REPO, LocalWarehouse, run_dbt, shared_scenario

pytestmark = pytest.mark.e2e

PACKAGE = REPO / "tests" / "fixtures" / "dbt_local_package"
PACKAGE_SEED = "seed.pipelineops_fixture_package.package_exceptions"
OWN_SEED = "seed.pipelineops_demo.raw_orders"

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "dev": ("local_dev", {}),
    "blue": ("local_ci", {"pipelineops_colour": "BLUE"}),
    "pr": ("local_ci", {"pipelineops_pr": 42}),
}


def _scenario(workdir: Path) -> dict[str, Any]:
    project = workdir / "project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {PACKAGE}\n", encoding="utf-8")
    wh = LocalWarehouse.create(workdir)
    env = wh.env()
    out: dict[str, Any] = {}
    # dbt deps takes neither --target-path nor --log-path; it writes dbt_packages/ into the copy
    deps = subprocess.run(
        [str(DBT_BIN), "deps", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env={**env, "DBT_LOG_PATH": str(workdir / "deps" / "logs")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out["deps"] = {"returncode": deps.returncode, "output": (deps.stdout + deps.stderr)[-3000:]}
    for label, (target, dbt_vars) in CASES.items():
        result = run_dbt(
            ["parse", "--target", target],
            workdir=workdir,
            label=label,
            env=env,
            dbt_vars=dbt_vars,
            project_dir=project,
        )
        nodes = result.artifact("manifest.json")["nodes"] if result.returncode == 0 else {}
        out[label] = {
            "returncode": result.returncode,
            "output": result.output[-3000:],
            "schemas": {uid: n["schema"] for uid, n in nodes.items() if n["resource_type"] == "seed"},
        }
    seed = run_dbt(
        ["seed", "--target", "local_ci", "--select", "package:pipelineops_fixture_package"],
        workdir=workdir,
        label="seed",
        env=env,
        dbt_vars={"pipelineops_colour": "BLUE"},
        project_dir=project,
    )
    out["seed"] = {"returncode": seed.returncode, "output": seed.output[-3000:]}
    with wh.connect() as con:
        out["tables"] = sorted(
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = 'lake'"
            ).fetchall()
        )
    return out


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return shared_scenario(tmp_path_factory, "package_seeds", _scenario)


def test_the_local_package_installs_offline(scenario: dict[str, Any]) -> None:
    assert scenario["deps"]["returncode"] == 0, scenario["deps"]["output"]
    for label in CASES:
        assert scenario[label]["returncode"] == 0, scenario[label]["output"]
        assert PACKAGE_SEED in scenario[label]["schemas"], label


def test_own_seeds_still_go_to_raw_without_a_pr(scenario: dict[str, Any]) -> None:
    for label in ("dev", "blue"):
        assert scenario[label]["schemas"][OWN_SEED] == "RAW", label


def test_a_package_seed_follows_the_model_rules_never_raw(scenario: dict[str, Any]) -> None:
    schemas = {label: scenario[label]["schemas"][PACKAGE_SEED] for label in CASES}
    assert schemas == {
        "dev": "dev",  # dbt's default: target.schema
        "blue": "CI__BLUE",  # target.schema upper-cased, suffixed with the colour
        "pr": "CI_PR_42",  # the PR wins for every node, as before
    }
    assert scenario["pr"]["schemas"][OWN_SEED] == "CI_PR_42_RAW"


def test_a_real_package_seed_lands_in_the_colour_schema_and_raw_stays_empty(scenario: dict[str, Any]) -> None:
    assert scenario["seed"]["returncode"] == 0, scenario["seed"]["output"]
    assert scenario["tables"] == ["CI__BLUE.package_exceptions"]
