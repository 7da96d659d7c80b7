"""engines/factory.py: where an environment's data lives, per engine, from the configuration alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.execute.test_target import _config, _local, _sf

from pipelineops.commands.slim_ci import check_same_warehouse
from pipelineops.engines.factory import ENGINES, warehouse
from pipelineops.errors import UserError
from pipelineops.plan.sql import DIALECTS


def test_every_registered_dialect_has_an_engine_entry() -> None:
    assert set(ENGINES) == set(DIALECTS)


def test_a_local_warehouse_is_its_folder_and_must_exist_before_it_is_read() -> None:
    place = warehouse(_local("prod", "/w/prod"))
    assert place.key == warehouse(_local("dev", "/w/prod")).key != warehouse(_local("dev", "/w/dev")).key
    assert place.label == "local warehouse /w/prod"
    assert place.local_catalog == Path("/w/prod/catalog.ducklake")
    assert (
        place.share_fix.format(env="dev", of="prod") == "set environments.dev.local_dir to prod's (/w/prod)"
    )


def test_a_snowflake_warehouse_is_its_account_whatever_the_case() -> None:
    place = warehouse(_sf("prod", "ACME-XY", "ANALYTICS"))
    assert (
        place.key == warehouse(_sf("dev", "acme-xy", "DEV")).key != warehouse(_sf("dev", "other", "DEV")).key
    )
    assert place.label == "Snowflake ACME-XY, database ANALYTICS"
    assert place.local_catalog is None
    assert (
        place.share_fix.format(env="dev", of="prod") == "give environments.dev the Snowflake account of prod"
    )


def test_slim_ci_refuses_a_pr_environment_on_another_warehouse_with_the_engines_fix() -> None:
    cfg = _config(_local("dev", "/w/dev"), _local("prod", "/w/prod"))
    with pytest.raises(UserError) as err:
        check_same_warehouse(cfg, "dev", "prod")
    assert err.value.fix == "in pipelineops.yml: set environments.dev.local_dir to prod's (/w/prod)"
    check_same_warehouse(_config(_local("dev", "/w/prod"), _local("prod", "/w/prod")), "dev", "prod")
    mixed = _config(_local("dev", "/w/prod"), _sf("prod", "acme", "ANALYTICS"))
    with pytest.raises(UserError, match="are not one warehouse"):
        check_same_warehouse(mixed, "dev", "prod")
