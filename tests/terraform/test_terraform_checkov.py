"""checkov with the project's policies (terraform/checkov/*.yaml), from its own env .venv-checkov
(it replaces python-hcl2 with a fork and pins an older `packaging`, so it cannot share .venv)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.terraform.terraform_support import REPO, REPORTER_WRITE_GRANT, TERRAFORM

CHECKOV = REPO / ".venv-checkov/bin/checkov"
POLICY_IDS = {f"CKV2_PIPELINEOPS_{n}" for n in range(1, 9)}

pytestmark = pytest.mark.skipif(
    not CHECKOV.exists(), reason=f"{CHECKOV} is missing: run `make venv` (requirements/checkov.txt)"
)


def run_checkov(directory: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    proc = subprocess.run(
        [
            str(CHECKOV),
            "--directory", str(directory),
            "--framework", "terraform",
            "--external-checks-dir", str(TERRAFORM / "checkov"),
            "--skip-download",
            "--output", "json",
        ],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert report["check_type"] == "terraform", report
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    return report["results"]


def test_checkov_passes_with_every_project_policy_evaluated(terraform_root: Path) -> None:
    results = run_checkov(terraform_root)
    failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    assert failed == []
    assert {c["check_id"] for c in results["passed_checks"]} >= POLICY_IDS


def test_checkov_fails_a_write_grant_to_reporter(tree_copy: Path) -> None:
    with (tree_copy / "modules/snowflake_platform/grants.tf").open("a", encoding="utf-8") as f:
        f.write(REPORTER_WRITE_GRANT)
    failed = {
        (c["check_id"], c["resource"].rsplit(".", 1)[-1]) for c in run_checkov(tree_copy)["failed_checks"]
    }
    assert failed == {("CKV2_PIPELINEOPS_2", "reporter_write")}


def test_checkov_fails_a_write_grant_to_the_ci_reader(tree_copy: Path) -> None:
    with (tree_copy / "modules/snowflake_platform/grants.tf").open("a", encoding="utf-8") as f:
        f.write(REPORTER_WRITE_GRANT.replace("reporter", "ci_reader"))
    failed = {
        (c["check_id"], c["resource"].rsplit(".", 1)[-1]) for c in run_checkov(tree_copy)["failed_checks"]
    }
    assert failed == {("CKV2_PIPELINEOPS_8", "ci_reader_write")}
