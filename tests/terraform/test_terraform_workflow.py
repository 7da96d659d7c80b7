"""The workflow that runs real Terraform on GitHub follows STYLE.md section 3."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.terraform.terraform_support import REPO

WORKFLOW = REPO / ".github/workflows/terraform.yml"
PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_header_says_what_why_when() -> None:
    head = WORKFLOW.read_text(encoding="utf-8").splitlines()[:12]
    for word in ("# what:", "# why:", "# when:"):
        assert any(line.startswith(word) for line in head), word


def test_permissions_are_empty_at_top_and_granted_per_job(workflow: dict) -> None:
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, name
        assert "write-all" not in str(job["permissions"]), name
    assert workflow["jobs"]["plan"]["permissions"]["id-token"] == "write"
    assert workflow["jobs"]["apply"]["permissions"] == {"contents": "read", "id-token": "write"}


def test_every_job_has_a_timeout(workflow: dict) -> None:
    assert all(isinstance(job.get("timeout-minutes"), int) for job in workflow["jobs"].values())


def test_apply_runs_only_on_main_behind_an_environment(workflow: dict) -> None:
    apply = workflow["jobs"]["apply"]
    assert "refs/heads/main" in apply["if"]
    assert apply["environment"] == "snowflake-${{ matrix.env }}"
    assert apply["strategy"]["matrix"]["env"] == ["dev", "staging", "prod"]
    assert apply["strategy"]["max-parallel"] == 1


def test_third_party_actions_are_pinned_by_sha_with_version_comment() -> None:
    uses = [
        line.split("uses:", 1)[1].strip() for line in WORKFLOW.read_text().splitlines() if "uses:" in line
    ]
    assert uses
    for ref in uses:
        assert ref.startswith("./") or PIN.match(ref), ref


def test_checkout_does_not_persist_credentials(workflow: dict) -> None:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_run_steps_take_inputs_only_through_env(workflow: dict) -> None:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step.get("name")


def test_actionlint_accepts_the_workflow() -> None:
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(
        [str(bin_dir / "jactionlint"), str(WORKFLOW)], capture_output=True, text=True, check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_plan_on_a_pull_request_holds_only_the_read_only_plan_identity(workflow: dict) -> None:
    plan, apply = workflow["jobs"]["plan"]["env"], workflow["jobs"]["apply"]["env"]
    assert plan["SNOWFLAKE_PRIVATE_KEY"] == "${{ secrets.SNOWFLAKE_TERRAFORM_PLAN_PRIVATE_KEY }}"
    assert (
        plan["SNOWFLAKE_USER"]
        == plan["TF_VAR_plan_role"]
        == "${{ format('{0}_TERRAFORM_PLAN', matrix.prefix) }}"
    )
    assert apply["SNOWFLAKE_PRIVATE_KEY"] == "${{ secrets.SNOWFLAKE_TERRAFORM_PRIVATE_KEY }}"
    assert "TF_VAR_plan_role" not in apply
    assert "SNOWFLAKE_TERRAFORM_PRIVATE_KEY" not in str(workflow["jobs"]["plan"])
    plan_run = next(s["run"] for s in workflow["jobs"]["plan"]["steps"] if s.get("name") == "terraform plan")
    assert "-refresh=false" in plan_run
    for job in ("plan", "apply"):
        keys = {
            k for k in workflow["jobs"][job]["env"] if k.startswith("TF_VAR_") and k.endswith("public_key")
        }
        assert keys == {
            "TF_VAR_deploy_rsa_public_key",
            "TF_VAR_pr_ci_rsa_public_key",
            "TF_VAR_terraform_plan_rsa_public_key",
        }


def test_provider_lock_files_are_required(workflow: dict) -> None:
    names = [s.get("name") for s in workflow["jobs"]["fmt"]["steps"]]
    assert "provider lock files are committed" in names
    for job in ("plan", "apply"):
        init = next(s["run"] for s in workflow["jobs"][job]["steps"] if s.get("name") == "terraform init")
        assert "-lockfile=readonly" in init
