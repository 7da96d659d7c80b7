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
