"""One root per environment in the spec, each with an S3 backend that locks with a lockfile."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.terraform.terraform_checks import check_environments


def test_every_environment_has_a_root(terraform_root: Path) -> None:
    assert check_environments(terraform_root) == []


def test_missing_environment_is_caught(tree_copy: Path) -> None:
    shutil.rmtree(tree_copy / "envs/staging")
    assert check_environments(tree_copy) == ["environment 'staging' has no root in terraform/envs/staging"]


def test_backend_without_lockfile_is_caught(plant) -> None:
    copy = plant("envs/prod/versions.tf", "use_lockfile = true", "use_lockfile = false")
    assert any("use_lockfile = true" in p for p in check_environments(copy))


def test_shared_state_key_is_caught(plant) -> None:
    copy = plant("envs/staging/versions.tf", "snowflake/staging/terraform", "snowflake/dev/terraform")
    problems = check_environments(copy)
    assert any("must contain /staging/" in p for p in problems), problems
    assert any("also used by envs/dev" in p for p in problems), problems


def test_env_root_for_the_wrong_environment_is_caught(plant) -> None:
    copy = plant("envs/staging/main.tf", 'environment = "staging"', 'environment = "prod"')
    assert any("expected 'staging'" in p for p in check_environments(copy))


def test_idle_warehouse_must_suspend(plant) -> None:
    copy = plant(
        "envs/prod/main.tf",
        'reporting    = { size = "SMALL", auto_suspend = 300 }',
        'reporting    = { size = "SMALL", auto_suspend = 3600 }',
    )
    assert any("reporting auto_suspend must be 60..600 s" in p for p in check_environments(copy))


def test_secret_in_provider_block_is_caught(plant) -> None:
    copy = plant(
        "envs/dev/providers.tf",
        '  role          = var.plan_role != "" ? var.plan_role : "SYSADMIN"\n',
        '  role          = var.plan_role != "" ? var.plan_role : "SYSADMIN"\n  private_key   = "x"\n',
    )
    assert any("private_key must come from the environment" in p for p in check_environments(copy))


def test_misspelt_module_argument_is_caught(plant) -> None:
    copy = plant("envs/dev/main.tf", "  monthly_credit_quota = ", "  monthly_credit_quta = ")
    problems = check_environments(copy)
    assert "envs/dev: module has no variable 'monthly_credit_quta'" in problems
    assert "envs/dev: module variable 'monthly_credit_quota' is not set" in problems


def test_plan_role_switch_keeps_the_administration_role_for_apply(plant) -> None:
    copy = plant(
        "envs/dev/providers.tf",
        'var.plan_role != "" ? var.plan_role : "SECURITYADMIN"',
        'var.plan_role != "" ? var.plan_role : "SYSADMIN"',
    )
    assert any("snowflake providers (alias: role)" in p for p in check_environments(copy))
