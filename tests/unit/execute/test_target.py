"""Two deploy environments on the same physical objects are refused; Slim CI's sharing is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelineops.config.model import ChecksConfig, Config, EnvironmentConfig, SnowflakeConnection
from pipelineops.errors import UserError
from pipelineops.execute.target import check_deploy_target, physical_target


def _sf(name: str, account: str, database: str) -> EnvironmentConfig:
    conn = SnowflakeConnection(account=account, user="u", role="r", warehouse="w")
    return EnvironmentConfig(
        name=name, engine="snowflake", dbt_target=name, database=database, snowflake=conn
    )  # type: ignore[arg-type]


def _local(name: str, folder: str) -> EnvironmentConfig:
    return EnvironmentConfig(
        name=name, engine="duckdb", dbt_target=name, database="lake", local_dir=Path(folder)
    )  # type: ignore[arg-type]


def _config(*envs: EnvironmentConfig) -> Config:
    return Config(
        path=Path("pipelineops.yml"),
        root=Path("."),
        project_dir=Path("dbt"),
        profiles_dir=Path("dbt"),
        consumer_schemas=("MARTS",),
        journal_schema="PIPELINEOPS",
        raw_schema="RAW",
        environments={e.name: e for e in envs},  # type: ignore[misc]
        checks=ChecksConfig(),
    )


def test_physical_targets_fold_case_where_snowflake_does() -> None:
    assert physical_target(_sf("prod", "ACME-XY", "analytics")) == physical_target(
        _sf("dev", "acme-xy", "ANALYTICS")
    )
    assert physical_target(_local("prod", "/w/prod")) != physical_target(_local("dev", "/w/dev"))


def test_separate_warehouses_deploy_freely() -> None:
    cfg = _config(
        _sf("dev", "acme", "DEV"), _sf("staging", "acme", "STAGING"), _sf("prod", "acme", "ANALYTICS")
    )
    for env in ("dev", "staging", "prod"):
        check_deploy_target(cfg, env)


def test_prod_may_share_with_the_pull_request_environment_which_may_not_deploy() -> None:
    cfg = _config(_local("dev", "/w/prod"), _local("prod", "/w/prod"))
    check_deploy_target(cfg, "prod")
    with pytest.raises(UserError) as err:
        check_deploy_target(cfg, "dev")
    assert "pull-request environment" in err.value.what and "--env prod" in err.value.fix


def test_two_deploy_environments_on_one_snowflake_database_are_refused() -> None:
    cfg = _config(
        _sf("dev", "acme", "DEV"), _sf("staging", "acme", "ANALYTICS"), _sf("prod", "ACME", "analytics")
    )
    for env in ("staging", "prod"):
        with pytest.raises(UserError) as err:
            check_deploy_target(cfg, env)
        assert "share database" in err.value.what and err.value.runbook == "configuration.md"
    check_deploy_target(cfg, "dev")


def test_default_operation_ids_are_per_run_in_actions_and_unique_elsewhere() -> None:
    from pipelineops.execute.operation import default_op_id

    actions = {"GITHUB_RUN_ID": "77"}
    assert default_op_id(actions, "", "20261206T000000", "abc1234") == "gh-77"
    assert default_op_id(actions, "rollback-", "20261206T000000") == "gh-77-rollback"
    assert default_op_id(actions, "restore-", "20261206T000000") == "gh-77-restore"
    one, two = (default_op_id({}, "rollback-", "20261206T000000") for _ in range(2))
    assert one.startswith("rollback-20261206T000000-") and one != two
    assert default_op_id({}, "", "20261206T000000", "abc1234") == "20261206T000000-abc1234"
