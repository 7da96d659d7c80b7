"""No secret a pull-request job can read can change production: the reusable workflows pass each job
only its identity's key, and ``scripts/lint_workflows.py`` (policy) fails a workflow that breaks it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def _lint_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lint_workflows", REPO / "scripts" / "lint_workflows.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


LINT = _lint_module()


def _copy(tmp_path: Path, name: str) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    return Path(shutil.copy(WORKFLOWS / name, tmp_path / ".github" / "workflows" / name))


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_no_workflow_of_the_repository_gives_a_pull_request_job_a_deploy_secret() -> None:
    found = [p for path in sorted(WORKFLOWS.glob("*.yml")) for p in LINT.pull_request_secrets(path, REPO)]
    assert found == []


@pytest.mark.parametrize(
    ("workflow", "job", "secret"),
    [
        ("dbt-slim-ci.yml", "slim-ci", "SNOWFLAKE_CI_PRIVATE_KEY"),
        ("schema-cleanup.yml", "cleanup", "SNOWFLAKE_CI_PRIVATE_KEY"),
        ("dbt-ci.yml", "build", "SNOWFLAKE_CI_PRIVATE_KEY"),
        ("deploy.yml", "deploy", "SNOWFLAKE_DEPLOY_PRIVATE_KEY"),
        ("rollback.yml", "rollback", "SNOWFLAKE_DEPLOY_PRIVATE_KEY"),
    ],
)
def test_each_job_gets_only_its_identitys_key(workflow: str, job: str, secret: str) -> None:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text(encoding="utf-8"))
    declared = set(doc[True]["workflow_call"]["secrets"])
    used = set(LINT.SECRET_REF.findall(yaml.safe_dump(doc["jobs"][job])))
    keys = {s for s in used if "PRIVATE_KEY" in s}
    if secret == "SNOWFLAKE_CI_PRIVATE_KEY":
        # the pull-request identity only; the old shared name is refused (GitHub rejects an undeclared secret)
        assert keys == {secret, f"{secret}_PASSPHRASE"}
        assert "SNOWFLAKE_PRIVATE_KEY" not in declared
    else:
        # the deploy identity; the old shared name still works here (protected environment, never a PR)
        assert keys == {
            secret,
            f"{secret}_PASSPHRASE",
            "SNOWFLAKE_PRIVATE_KEY",
            "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
        }
        assert doc["jobs"][job]["environment"] == "${{ inputs.environment }}"
        assert LINT.PR_GUARD in doc["jobs"][job]["if"]
    assert secret in declared


def test_deploy_job_without_the_pull_request_guard_is_caught(tmp_path: Path) -> None:
    path = _copy(tmp_path, "deploy.yml")
    _plant(path, "    if: ${{ !startsWith(github.event_name, 'pull_request') }}\n", "")
    problems = LINT.pull_request_secrets(path, tmp_path)
    assert len(problems) == 1
    assert "job `deploy` can run for a pull request but reads " in problems[0]
    assert "SNOWFLAKE_DEPLOY_PRIVATE_KEY" in problems[0]


def test_guard_weakened_by_an_or_is_caught(tmp_path: Path) -> None:
    path = _copy(tmp_path, "rollback.yml")
    _plant(
        path,
        "if: ${{ !startsWith(github.event_name, 'pull_request') }}",
        "if: ${{ !startsWith(github.event_name, 'pull_request') || github.actor == 'me' }}",
    )
    assert any(
        "job `rollback` can run for a pull request" in p for p in LINT.pull_request_secrets(path, tmp_path)
    )


def test_slim_ci_handed_the_deploy_key_is_caught(tmp_path: Path) -> None:
    path = _copy(tmp_path, "dbt-slim-ci.yml")
    _plant(
        path,
        " SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_CI_PRIVATE_KEY }}",
        " SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_DEPLOY_PRIVATE_KEY }}",
    )
    problems = LINT.pull_request_secrets(path, tmp_path)
    assert any(
        "job `slim-ci` can run for a pull request but reads SNOWFLAKE_DEPLOY_PRIVATE_KEY" in p
        for p in problems
    )


def test_terraform_plan_with_the_apply_key_is_caught(tmp_path: Path) -> None:
    path = _copy(tmp_path, "terraform.yml")
    _plant(
        path,
        "${{ secrets.SNOWFLAKE_TERRAFORM_PLAN_PRIVATE_KEY }}",
        "${{ secrets.SNOWFLAKE_TERRAFORM_PRIVATE_KEY }}",
    )
    problems = LINT.pull_request_secrets(path, tmp_path)
    assert any(
        "job `plan` can run for a pull request but reads SNOWFLAKE_TERRAFORM_PRIVATE_KEY" in p
        for p in problems
    )


CALLER = """\
on:
  pull_request:
permissions: {}
jobs:
  slim-ci:
    uses: org/repo/.github/workflows/dbt-slim-ci.yml@0123456789012345678901234567890123456789 # v1.0.0
    secrets: inherit
"""


def test_pull_request_caller_passing_every_secret_is_caught(tmp_path: Path) -> None:
    (tmp_path / "w.yml").write_text(CALLER, encoding="utf-8")
    problems = LINT.pull_request_secrets(tmp_path / "w.yml", tmp_path)
    assert problems == [
        "w.yml: job `slim-ci` can run for a pull request and passes `secrets: inherit`: "
        "name the pull-request identity's secrets instead"
    ]


def test_scheduled_workflow_may_read_any_secret(tmp_path: Path) -> None:
    text = CALLER.replace("  pull_request:\n", "  schedule:\n    - cron: '0 2 * * *'\n")
    (tmp_path / "w.yml").write_text(text, encoding="utf-8")
    assert LINT.pull_request_secrets(tmp_path / "w.yml", tmp_path) == []
