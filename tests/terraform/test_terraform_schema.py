"""Every resource type, argument and nested block exists in the snowflakedb/snowflake schema that
PyPI's cdktf-cdktf-provider-snowflake publishes (read from its jsii assembly, without Node)."""

from __future__ import annotations

from pathlib import Path

from tests.terraform import terraform_provider_schema
from tests.terraform.terraform_checks import check_provider_schema


def test_schema_is_read_from_the_cdktf_package() -> None:
    schema = terraform_provider_schema.load()
    assert schema.version.startswith("2.")
    warehouse = schema.resources["snowflake_warehouse"]
    assert warehouse.args["name"].required
    assert warehouse.args["auto_suspend"].primitive == "number"
    grant = schema.resources["snowflake_grant_privileges_to_account_role"].args
    assert grant["on_schema_object"].block
    assert set(grant["on_schema_object"].nested.args["future"].nested.args) == {
        "object_type_plural",
        "in_database",
        "in_schema",
    }
    assert "rsa_public_key_2" in schema.resources["snowflake_service_user"].args
    assert "password" not in schema.resources["snowflake_service_user"].args
    assert "snowflake_role" not in schema.resources
    assert "snowflake_table_resource" in schema.preview_features


def test_terraform_tree_matches_the_provider_schema(terraform_root: Path) -> None:
    assert check_provider_schema(terraform_root) == []


def test_removed_resource_type_is_rejected(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/roles.tf",
        'resource "snowflake_account_role" "loader" {',
        'resource "snowflake_role" "loader" {',
    )
    problems = check_provider_schema(copy)
    assert any("snowflake_role was removed" in p and "snowflake_account_role" in p for p in problems), (
        problems
    )


def test_misspelt_argument_is_rejected(plant) -> None:
    copy = plant("modules/snowflake_platform/warehouses.tf", "  auto_suspend ", "  auto_suspnd ")
    problems = check_provider_schema(copy)
    assert any("unknown argument 'auto_suspnd'" in p for p in problems), problems


def test_misspelt_nested_block_argument_is_rejected(plant) -> None:
    copy = plant("modules/snowflake_platform/grants.tf", "object_type_plural", "object_types_plural")
    problems = check_provider_schema(copy)
    assert any("unknown argument 'object_types_plural'" in p for p in problems), problems
    assert any("missing required argument 'object_type_plural'" in p for p in problems), problems


def test_misspelt_provider_argument_is_rejected(plant) -> None:
    copy = plant("envs/prod/providers.tf", "  authenticator = ", "  authenticatr = ")
    assert any("unknown argument 'authenticatr'" in p for p in check_provider_schema(copy))


def test_block_written_as_argument_is_rejected(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/grants.tf",
        '  on_account_object {\n    object_type = "WAREHOUSE"',
        '  on_account_object = {\n    object_type = "WAREHOUSE"',
    )
    assert any("is a block in the provider schema" in p for p in check_provider_schema(copy))


def test_missing_required_argument_is_rejected(plant) -> None:
    copy = plant("modules/snowflake_platform/databases.tf", '  name     = "PIPELINEOPS"\n', "")
    assert any("missing required argument 'name'" in p for p in check_provider_schema(copy))


def test_wrong_literal_type_is_rejected(plant) -> None:
    copy = plant(
        "modules/snowflake_platform/monitor.tf", "suspend_trigger           = 100", 'suspend_trigger = "all"'
    )
    assert any("'suspend_trigger' must be a number" in p for p in check_provider_schema(copy))


def test_provider_version_must_admit_the_checked_schema(plant) -> None:
    copy = plant("envs/dev/versions.tf", 'version = "~> 2.11.0"', 'version = "~> 1.0"')
    assert any("does not admit" in p for p in check_provider_schema(copy))


def test_preview_resource_is_rejected(tree_copy: Path) -> None:
    path = tree_copy / "modules/snowflake_platform/extra.tf"
    path.write_text(
        'resource "snowflake_sequence" "s" {\n  database = "D"\n  schema = "S"\n  name = "N"\n}\n'
    )
    assert any("snowflake_sequence is a preview feature" in p for p in check_provider_schema(tree_copy))
