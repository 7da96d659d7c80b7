"""The role/grant matrix in terraform/spec/access.yml is what the module declares, and it is least
privilege: REPORTER never writes, nothing goes to PUBLIC, ACCOUNTADMIN stays in its alias."""

from __future__ import annotations

from pathlib import Path

from tests.terraform.terraform_checks import (
    check_access_matrix,
    check_least_privilege,
    check_readme_table,
    declared_access,
    load_spec,
)
from tests.terraform.terraform_support import REPORTER_WRITE_GRANT

GRANTS = "modules/snowflake_platform/grants.tf"


def test_module_declares_exactly_the_access_spec(terraform_root: Path) -> None:
    assert check_access_matrix(terraform_root) == []


def test_declared_matrix_covers_every_role_of_the_spec(terraform_root: Path) -> None:
    declared = declared_access(terraform_root)
    spec = load_spec(terraform_root)
    roles = {"LOADER", "TRANSFORMER", "REPORTER", "DEPLOYER", "PR_CI", "CI_READER", "TERRAFORM_PLAN"}
    assert set(declared["roles"]) == roles == set(spec["roles"])
    assert declared["grants"]["CI_READER"]["future VIEWS in database ANALYTICS"] == ["SELECT"]
    assert declared["grants"]["CI_READER"]["all VIEWS in database ANALYTICS"] == ["SELECT"]
    assert "CREATE SCHEMA" in declared["grants"]["DEPLOYER"]["database ANALYTICS"]
    assert declared["users"]["PIPELINEOPS_DEPLOY"]["roles"] == ["DEPLOYER"]
    assert declared["users"]["PIPELINEOPS_PR_CI"]["roles"] == ["PR_CI"]
    # prod lets dev's pull-request CI read it; no other role of another environment appears
    assert declared["roles"]["CI_READER"] == ["SYSADMIN", "var.ci_reader_granted_to"]


def test_module_is_least_privilege(terraform_root: Path) -> None:
    assert check_least_privilege(terraform_root) == []


def test_write_grant_to_reporter_fails_both_checks(tree_copy: Path) -> None:
    with (tree_copy / GRANTS).open("a", encoding="utf-8") as f:
        f.write(REPORTER_WRITE_GRANT)
    assert any("REPORTER" in p and "INSERT" in p for p in check_access_matrix(tree_copy))
    assert any(
        p.startswith("REPORTER is read-only but holds ['INSERT']") for p in check_least_privilege(tree_copy)
    )


def test_write_reaching_reporter_through_a_child_role_is_caught(plant) -> None:
    # LOADER (writes RAW) granted to REPORTER: REPORTER would inherit the writes.
    copy = plant(
        "modules/snowflake_platform/roles.tf",
        '  role_name        = snowflake_account_role.loader.name\n  parent_role_name = "SYSADMIN"',
        "  role_name        = snowflake_account_role.loader.name\n"
        "  parent_role_name = snowflake_account_role.reporter.name",
    )
    assert any("(through LOADER)" in p for p in check_least_privilege(copy))


def test_grant_missing_from_terraform_is_caught(plant) -> None:
    copy = plant(GRANTS, 'privileges        = ["USAGE", "CREATE TABLE"]', 'privileges        = ["USAGE"]')
    problems = check_access_matrix(copy)
    assert any("DEPLOYER on schema ANALYTICS.PIPELINEOPS" in p for p in problems), problems


def test_grant_to_public_is_caught(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/roles.tf",
        '  role_name        = snowflake_account_role.loader.name\n  parent_role_name = "SYSADMIN"',
        '  role_name        = snowflake_account_role.loader.name\n  parent_role_name = "PUBLIC"',
    )
    problems = check_least_privilege(copy)
    assert "role LOADER is granted to PUBLIC" in problems
    assert "role LOADER does not roll up to SYSADMIN" in problems


def test_privileges_to_public_are_caught(tree_copy: Path) -> None:
    with (tree_copy / GRANTS).open("a", encoding="utf-8") as f:
        f.write(REPORTER_WRITE_GRANT.replace("snowflake_account_role.reporter.name", '"PUBLIC"'))
    assert any(p.startswith("privileges granted to PUBLIC") for p in check_least_privilege(tree_copy))


def test_accountadmin_outside_the_monitor_alias_is_caught(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/warehouses.tf",
        'resource "snowflake_warehouse" "ci" {\n',
        'resource "snowflake_warehouse" "ci" {\n  provider = snowflake.accountadmin\n',
    )
    assert any(
        "snowflake_warehouse ci: uses the accountadmin provider" in p for p in check_least_privilege(copy)
    )


def test_accountadmin_role_literal_is_caught(plant) -> None:
    copy = plant("envs/dev/providers.tf", ': "SECURITYADMIN"', ': "ACCOUNTADMIN"')
    assert any("mentions ACCOUNTADMIN" in p for p in check_least_privilege(copy))


def test_monitor_alias_cannot_run_arbitrary_sql(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/monitor.tf",
        'revert  = "ALTER WAREHOUSE \\"${each.value}\\" UNSET RESOURCE_MONITOR"',
        'revert  = "GRANT ROLE ACCOUNTADMIN TO USER X"',
    )
    problems = check_least_privilege(copy)
    assert any("revert may only (un)set a warehouse resource monitor" in p for p in problems), problems


def test_grant_option_is_caught(plant) -> None:
    copy = plant(
        GRANTS,
        '  privileges        = ["USAGE", "CREATE SCHEMA"]\n',
        '  privileges        = ["USAGE", "CREATE SCHEMA"]\n  with_grant_option = true\n',
    )
    assert any("with_grant_option = true is not allowed" in p for p in check_least_privilege(copy))


def test_service_user_keys_come_from_variables(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/users.tf",
        'rsa_public_key                 = replace(var.pr_ci_rsa_public_key, local.pem_body, "")',
        'rsa_public_key                 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8"',
    )
    assert any("rsa_public_key must come from a variable" in p for p in check_least_privilege(copy))


def test_identities_sharing_a_key_pair_are_caught(plant) -> None:
    # the pull-request user given the deploy user's key: the PR job's key would log in as deploy
    copy = plant(
        "modules/snowflake_platform/users.tf",
        "replace(var.pr_ci_rsa_public_key, local.pem_body",
        "replace(var.deploy_rsa_public_key, local.pem_body",
    )
    problems = check_least_privilege(copy)
    assert any("every identity needs its own key pair" in p for p in problems), problems


def test_public_key_without_validation_is_caught(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/variables.tf",
        'variable "terraform_plan_rsa_public_key" {\n  description = "Public key',
        'variable "terraform_plan_rsa_public_key" {\n  description = "Public key',
    )
    text = (copy / "modules/snowflake_platform/variables.tf").read_text(encoding="utf-8")
    start = text.index('variable "terraform_plan_rsa_public_key"')
    block_end = text.index("\n}\n", start)
    body = text[start:block_end]
    stripped = body[: body.index("\n\n  validation")]
    (copy / "modules/snowflake_platform/variables.tf").write_text(
        text.replace(body, stripped), encoding="utf-8"
    )
    assert (
        "variable terraform_plan_rsa_public_key: a public key needs a validation block (non-empty, PEM)"
        in (check_least_privilege(copy))
    )


def test_readme_matrix_is_rendered_from_the_spec(terraform_root: Path) -> None:
    assert check_readme_table(terraform_root) == []


def test_readme_matrix_drift_is_caught(plant) -> None:
    copy = plant(
        "spec/access.yml",
        "{object: warehouse CI_WH, privileges: [USAGE]}",
        "{object: warehouse CI_WH, privileges: [USAGE, OPERATE]}",
    )
    assert check_readme_table(copy)[0].startswith("terraform/README.md access matrix is out of date")
