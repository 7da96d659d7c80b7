"""The Terraform grants are what the product's SQL needs, per identity, and no more; the pull-request
identity can never own or write production's consumer, colour or journal schemas; and the mistakes the
HCL/spec comparison cannot see (literal names, a missing provider alias, a schema the provider rejects)
fail a check of their own. See tests/terraform/terraform_privileges.py for the privilege table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.terraform.terraform_checks import check_grant_references, check_prevent_destroy
from tests.terraform.terraform_hcl import blocks, load_module
from tests.terraform.terraform_privileges import (
    PROTECTED_KINDS,
    WRITES,
    check_identities,
    classify,
    identities,
    needs,
    rendered,
)

GRANTS = "modules/snowflake_platform/grants.tf"
Plant = Callable[[str, str, str], Path]


@pytest.fixture(scope="module")
def statements() -> list:
    return rendered()


def test_every_plan_the_product_runs_is_rendered_and_classified(statements: list) -> None:
    plans = {(s.identity, s.plan) for s in statements}
    assert plans >= {
        ("deploy", "deploy"), ("deploy", "rollback"), ("deploy", "restore"), ("deploy", "journal"),
        ("pull_request", "pr-schema"), ("pull_request", "slim-ci"), ("pull_request", "cleanup"),
        ("reader", "parity"),
    }  # fmt: skip
    for s in statements:
        # every statement needs something (at least USAGE); SHOW GRANTS TO ROLE needs the role hierarchy
        assert classify(s.sql) or s.sql.startswith("SHOW GRANTS TO ROLE "), s.sql


def test_each_identity_holds_exactly_what_its_plans_need(terraform_root: Path, statements: list) -> None:
    assert check_identities(terraform_root, statements) == []


def test_pull_request_identity_only_reads_production(terraform_root: Path, statements: list) -> None:
    pr = [n for n in needs(statements, "pull_request") if n.env == "prod"]
    assert pr, "slim-ci reads prod (manifest, consumer views, the live colour's tables)"
    assert {n.privilege for n in pr} <= {"USAGE", "SELECT"}
    assert {n.kind for n in pr} >= {"journal", "consumer", "colour"}
    roles = identities(terraform_root)["pull_request"].roles
    assert roles["prod"] == ("CI_READER",)  # through envs/prod ci_reader_granted_to = ["DEV_PR_CI"]
    assert "DEPLOYER" not in roles["dev"] and "PR_CI" in roles["dev"]
    assert {"OWNERSHIP", "INSERT", "CREATE SCHEMA"} <= WRITES
    assert {"consumer", "shadow", "colour", "journal"} == PROTECTED_KINDS


def test_deploy_identity_runs_what_only_an_owner_may(statements: list) -> None:
    specs = [spec for s in statements if s.identity == "deploy" for spec in classify(s.sql)]
    assert ("OWNERSHIP", "schema", "PROD_ANALYTICS", "MARTS", None) in specs  # the swap
    # ... and owns it because it created it: nothing of the kind is needed from a grant
    assert not [n for n in needs(statements, "deploy") if n.privilege == "OWNERSHIP"]


def test_write_grant_to_the_pull_request_identity_in_prod_is_caught(plant: Plant, statements: list) -> None:
    copy = plant(
        GRANTS,
        'resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_tables" {\n'
        "  provider          = snowflake.securityadmin\n"
        "  account_role_name = snowflake_account_role.ci_reader.name\n"
        '  privileges        = ["SELECT"]',
        'resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_tables" {\n'
        "  provider          = snowflake.securityadmin\n"
        "  account_role_name = snowflake_account_role.ci_reader.name\n"
        '  privileges        = ["SELECT", "INSERT"]',
    )
    problems = check_identities(copy, statements)
    assert any(
        p.startswith("pull_request: holds INSERT on table in prod through CI_READER")
        and "must never own or write" in p
        for p in problems
    ), problems


def test_pull_request_identity_given_the_deployer_is_caught(plant: Plant, statements: list) -> None:
    copy = plant(
        "modules/snowflake_platform/roles.tf",
        '  role_name        = snowflake_account_role.deployer.name\n  parent_role_name = "SYSADMIN"',
        "  role_name        = snowflake_account_role.deployer.name\n"
        "  parent_role_name = snowflake_account_role.ci_reader.name",
    )
    problems = check_identities(copy, statements)
    assert any(
        "pull_request: holds CREATE SCHEMA on database in prod through DEPLOYER" in p for p in problems
    ), problems


def test_grant_the_product_needs_but_terraform_lacks_is_caught(plant: Plant, statements: list) -> None:
    copy = plant(GRANTS, 'privileges        = ["USAGE", "CREATE TABLE"]', 'privileges        = ["USAGE"]')
    problems = check_identities(copy, statements)
    assert any(
        p.startswith("deploy: needs CREATE TABLE on schema PROD_ANALYTICS.PIPELINEOPS (journal, prod)")
        for p in problems
    ), problems


def test_grant_nothing_needs_is_caught(plant: Plant, statements: list) -> None:
    copy = plant(
        GRANTS,
        '  account_role_name = snowflake_account_role.pr_ci.name\n  privileges        = ["USAGE"]\n\n  on_schema {',
        '  account_role_name = snowflake_account_role.pr_ci.name\n  privileges        = ["USAGE", "CREATE TABLE"]\n\n'
        "  on_schema {",
    )
    problems = check_identities(copy, statements)
    assert any(
        p.startswith("pull_request: holds CREATE TABLE on schema (raw, dev) through PR_CI") for p in problems
    ), problems


# --- the three planted mistakes that used to pass every offline check and checkov -----------------------


def test_no_reference_mistakes_in_the_module(terraform_root: Path) -> None:
    assert check_grant_references(terraform_root) == []


def test_literal_role_name_dropping_the_environment_prefix_is_caught(plant: Plant) -> None:
    copy = plant(
        GRANTS,
        "account_role_name = snowflake_account_role.ci_reader.name",
        'account_role_name = "CI_READER"',
    )
    problems = check_grant_references(copy)
    assert any("account_role_name = 'CI_READER' is a literal" in p for p in problems), problems


def test_future_grant_without_the_securityadmin_alias_is_caught(plant: Plant) -> None:
    copy = plant(
        GRANTS,
        'resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_views" {\n'
        "  provider          = snowflake.securityadmin\n",
        'resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_views" {\n',
    )
    problems = check_grant_references(copy)
    assert any(
        "ci_reader_analytics_future_views: grants must use provider = snowflake.securityadmin" in p
        for p in problems
    ), problems


@pytest.mark.parametrize(
    "schema", ['"RAW"', '"ANALYTICS.MARTS"', "snowflake_schema.marts.fully_qualified_name"]
)
def test_grant_on_a_schema_the_provider_rejects_is_caught(plant: Plant, schema: str) -> None:
    copy = plant(
        GRANTS,
        "      in_schema          = snowflake_schema.raw.fully_qualified_name",
        f"      in_schema          = {schema}",
    )
    problems = check_grant_references(copy)
    assert any("the provider needs a schema's fully qualified name" in p for p in problems), problems


# --- where data lives, and the monitor -------------------------------------------------------------------


def test_databases_and_the_journal_cannot_be_destroyed(terraform_root: Path, plant: Plant) -> None:
    assert check_prevent_destroy(terraform_root) == []
    copy = plant(
        "modules/snowflake_platform/databases.tf",
        '  name     = "PIPELINEOPS"\n',
        '  name     = "PIPELINEOPS"\n  # unprotected\n',
    )
    text = (copy / "modules/snowflake_platform/databases.tf").read_text(encoding="utf-8")
    start = text.index('name     = "PIPELINEOPS"')
    end = text.index("prevent_destroy = true", start)
    (copy / "modules/snowflake_platform/databases.tf").write_text(
        text[:end] + "prevent_destroy = false" + text[end + len("prevent_destroy = true") :], encoding="utf-8"
    )
    assert check_prevent_destroy(copy) == [
        "schema ANALYTICS.PIPELINEOPS: needs lifecycle { prevent_destroy = true } (data lives there)"
    ]


def test_monitor_follows_a_recreated_warehouse_and_notifies(terraform_root: Path) -> None:
    config = load_module(terraform_root / "modules/snowflake_platform")
    assign = config.resource("snowflake_execute", "assign_monitor")
    assert assign is not None
    triggers = blocks(assign.body)["lifecycle"][0]["replace_triggered_by"]
    warehouses = {f"${{snowflake_warehouse.{b.labels[1]}}}" for b in config.resources("snowflake_warehouse")}
    assert warehouses <= set(triggers)
    monitor = config.resource("snowflake_resource_monitor", "pipelineops")
    assert monitor is not None and monitor.body["notify_users"] == "${var.monitor_notify_users}"
