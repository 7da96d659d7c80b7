"""Workflows and actions: the linters pass, and our own rules (STYLE.md §3) hold in every file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
LINT = REPO / "scripts" / "lint_workflows.py"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
ACTION_FILES = sorted([REPO / "action.yml", *(REPO / "actions").glob("*/action.yml")])
TOOLS = (
    "jactionlint",
    "zizmor",
    "check-jsonschema vendor.github-workflows",
    "check-jsonschema custom.github-workflows-require-timeout",
    "check-jsonschema vendor.github-actions",
    "shellcheck",
    "policy",
)


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def name(path: Path) -> str:
    return str(path.relative_to(REPO))


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = [s for job in (doc.get("jobs") or {}).values() for s in (job.get("steps") or [])]
    return found + list((doc.get("runs") or {}).get("steps") or [])


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LINT), "--root", str(root)], capture_output=True, text=True, timeout=300
    )


def test_lint_workflows_passes_on_the_repository() -> None:
    proc = lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()[-len(TOOLS) :]
    assert [line.split(":")[0] for line in lines] == list(TOOLS)
    assert all(": ok " in line for line in lines), lines


BAD_WORKFLOW = """\
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    continue_on_error: true
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97
      - run: echo "${{ github.event.pull_request.title }}"
"""
BAD_ACTION = """\
name: bad
description: bad
inputs:
  who:
    description: who
    default: "x"
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${{ inputs.who }}"
"""


def test_lint_workflows_fails_on_each_kind_of_finding(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    (tmp_path / "actions" / "bad").mkdir(parents=True)
    (tmp_path / "actions" / "bad" / "action.yml").write_text(BAD_ACTION, encoding="utf-8")
    (tmp_path / "actions" / "broken").mkdir(parents=True)
    (tmp_path / "actions" / "broken" / "action.yml").write_text(
        "name: x\ndescription: a: b\n", encoding="utf-8"
    )
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "x.sh").write_text("#!/bin/bash\ncd $1\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = lint(tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out
    summary = dict(line.split(": ", 1) for line in out.strip().splitlines()[-len(TOOLS) :])
    assert set(summary) == set(TOOLS)
    failed = {tool for tool, text in summary.items() if text.startswith("FAILED")}
    assert failed == set(TOOLS), summary
    assert "bad.yml: jobs.greet.steps[2].run contains '${{'" in out
    assert "actions/bad/action.yml: runs.steps[0].run contains '${{'" in out
    assert "`actions/checkout@v4` is not pinned to a full 40-hex commit SHA" in out
    assert "`actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97` needs a `# vX.Y.Z` comment" in out
    assert "bad.yml: top level must be `permissions: {}`" in out
    assert "bad.yml: job `greet` has no timeout-minutes" in out
    assert "actions/broken/action.yml: not valid YAML" in out
    assert "SC2164" in out or "SC2086" in out


# --- the same rules, checked here directly on every file ---------------------------------------------


@pytest.mark.parametrize("path", [*WORKFLOWS, *ACTION_FILES], ids=name)
def test_no_expression_inside_run(path: Path) -> None:
    for step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{name(path)}: {step.get('name') or step['run'][:60]}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=name)
def test_workflow_has_no_default_permissions_and_every_job_a_timeout(path: Path) -> None:
    doc = load(path)
    assert doc["permissions"] == {}
    for job_id, job in doc["jobs"].items():
        if "uses" not in job:  # a reusable-workflow call takes the callee's timeouts
            assert "timeout-minutes" in job, f"{name(path)}: {job_id}"


@pytest.mark.parametrize("path", [*WORKFLOWS, *ACTION_FILES], ids=name)
def test_third_party_uses_are_pinned_to_a_sha_with_a_version_comment(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match or match.group(1).startswith(("./", "$/")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match.group(1)), line
        assert re.search(r"#\s*v\d+\.\d+\.\d+", match.group(2)), line


OUR_WORKFLOWS = ("deploy.yml", "rollback.yml", "ci.yml", "selftest.yml", "zizmor.yml")


@pytest.mark.parametrize("filename", OUR_WORKFLOWS)
def test_workflow_opens_with_what_why_when(filename: str) -> None:
    head = (REPO / ".github" / "workflows" / filename).read_text(encoding="utf-8").split("\nname:")[0]
    for word in ("# what:", "# why:", "# when:"):
        assert word in head, f"{filename}: {word}"


@pytest.mark.parametrize("filename", OUR_WORKFLOWS)
def test_checkouts_do_not_persist_credentials(filename: str) -> None:
    doc = load(REPO / ".github" / "workflows" / filename)
    checkouts = [s for s in steps(doc) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(s["with"]["persist-credentials"] == "false" for s in checkouts)


def test_deploy_and_rollback_share_one_non_cancelling_group_behind_environment_protection() -> None:
    groups = []
    for filename, stage in (("deploy.yml", "bluegreen-swap"), ("rollback.yml", "rollback")):
        doc = load(REPO / ".github" / "workflows" / filename)
        assert "workflow_call" in doc["on"]
        (job,) = doc["jobs"].values()
        assert job["environment"] == "${{ inputs.environment }}"
        assert job["concurrency"]["cancel-in-progress"] == "false"
        groups.append(job["concurrency"]["group"])
        assert set(job["permissions"]) == {"contents"} and job["permissions"]["contents"] == "read"
        uses = [s["uses"] for s in job["steps"] if s.get("uses", "").startswith("$/")]
        assert uses == ["$/actions/setup", f"$/actions/{stage}"]
        assert (REPO / "actions" / stage / "action.yml").is_file()
    assert groups[0] == groups[1] == "pipelineops-deploy-${{ inputs.environment }}"


def test_rollback_button_inputs() -> None:
    dispatch = load(REPO / ".github" / "workflows" / "rollback.yml")["on"]["workflow_dispatch"]["inputs"]
    assert dispatch["environment"]["options"] == ["dev", "staging", "prod"]
    assert dispatch["mode"]["options"] == ["republish", "time-travel"]
    assert dispatch["target"]["default"] == "previous"
    assert {"model", "at", "reason"} <= set(dispatch)


def test_selftest_has_a_job_that_must_fail_and_checks_it_did() -> None:
    doc = load(REPO / ".github" / "workflows" / "selftest.yml")
    job = doc["jobs"]["expected-failure"]
    failing = [s for s in job["steps"] if s.get("continue-on-error") == "true"]
    assert failing and all(s["uses"].startswith("./actions/") for s in failing)
    check = job["steps"][-1]
    for step in failing:
        assert f"${{{{ steps.{step['id']}.outcome }}}}" in check["env"].values()
    assert check["run"].count("= failure") == len(failing)
    used = {s["uses"] for s in steps(doc) if s.get("uses", "").startswith("./")}
    assert {"./actions/bluegreen-swap", "./actions/rollback", "./"} <= used


@pytest.mark.parametrize("path", WORKFLOWS, ids=name)
def test_jobs_install_once_in_a_step_without_secrets_before_any_stage(path: Path) -> None:
    for job_id, job in (load(path).get("jobs") or {}).items():
        uses = [s.get("uses", "") for s in job.get("steps") or []]
        stages = [i for i, u in enumerate(uses) if u.startswith("$/actions/") and u != "$/actions/setup"]
        if not stages:
            continue
        assert "$/actions/setup" in uses, f"{name(path)}: job {job_id} installs inside a stage step"
        setup = uses.index("$/actions/setup")
        assert setup < min(stages), f"{name(path)}: job {job_id}"
        step = job["steps"][setup]
        assert "secrets." not in str(step), f"{name(path)}: job {job_id}: the install step holds a secret"


def test_dbt_ci_is_not_cancelled_by_a_push_and_its_profile_gets_every_connection_variable() -> None:
    doc = load(REPO / ".github" / "workflows" / "dbt-ci.yml")
    assert "github.event_name" in doc["concurrency"]["group"]
    assert doc["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert doc["on"]["workflow_call"]["inputs"]["project-dir"]["default"] == "."
    (build,) = [s for s in doc["jobs"]["build"]["steps"] if s.get("name") == "dbt build"]
    profile = (REPO / "dbt" / "profiles.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"env_var\('(SNOWFLAKE_\w+)'\)", profile))  # read without a default
    assert required == {
        "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_USER",
        "SNOWFLAKE_ROLE",
        "SNOWFLAKE_WAREHOUSE",
        "SNOWFLAKE_DATABASE",
    }
    assert required <= set(build["env"])


@pytest.mark.parametrize(
    ("filename", "default_of"), [("freshness.yml", "environment"), ("env-parity-check.yml", "against")]
)
def test_scheduled_read_only_checks_run_in_a_readonly_environment_not_the_reviewed_one(
    filename: str, default_of: str
) -> None:
    doc = load(REPO / ".github" / "workflows" / filename)
    (job,) = doc["jobs"].values()
    assert job["environment"] == (
        f"${{{{ inputs.github-environment || format('{{0}}-readonly', inputs.{default_of}) }}}}"
    )
    assert doc["on"]["workflow_call"]["inputs"]["github-environment"]["default"] == ""


@pytest.mark.parametrize("filename", ["deploy.yml", "rollback.yml"])
def test_force_unlock_reaches_the_action_only_inside_the_protected_environment(filename: str) -> None:
    doc = load(REPO / ".github" / "workflows" / filename)
    spec = doc["on"]["workflow_call"]["inputs"]["force-unlock"]
    assert (spec["type"], spec["default"]) == ("boolean", "false")
    (job,) = doc["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    passing = [s for s in job["steps"] if "force-unlock" in (s.get("with") or {})]
    assert len(passing) == 1 and passing[0]["with"]["force-unlock"] == "${{ inputs.force-unlock }}"
    stage = passing[0]["uses"].removeprefix("$/")
    assert (
        "force-unlock" in yaml.safe_load((REPO / stage / "action.yml").read_text(encoding="utf-8"))["inputs"]
    )


def test_slim_ci_never_skips_a_fork_pr_but_fails_it_first() -> None:
    doc = load(REPO / ".github" / "workflows" / "dbt-slim-ci.yml")
    job = doc["jobs"]["slim-ci"]
    assert "head.repo" not in job.get("if", "")
    first = job["steps"][0]
    assert "github.event.pull_request.head.repo.full_name != github.repository" in first["if"]
    assert "exit 1" in first["run"] and "::error" in first["run"]
