"""The Snowflake lanes without an account: both lanes' parametrisations follow the scenario registry
(``tests/snowflake_lanes/scenarios.py``), and the live lane's own code (``tests/snowflake_lanes/live.py``)
builds settings, workspaces, dbt profiles and statements that hold up offline, and reads the result shapes
a real account returns. (``tests/e2e_snowflake/test_live_lane.py`` runs the live lane against the emulator.)"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.snowflake_lanes.lane import (
    future_grants,
    grantee_roles,
    identifier,
    managed,
    show_rows,
    table_kinds,
)
from tests.snowflake_lanes.live import (
    PREFIX,
    REQUIRED,
    LiveSettings,
    admin_statements,
    missing,
    run_tag,
    workspace_files,
)
from tests.snowflake_lanes.scenarios import BY_GROUP, GROUPS, LIVE, SCENARIOS, STAGES, Scenario
from tests.sqlcheck.snowflake_check import check_snowflake_sql

TESTS = Path(__file__).resolve().parents[1]


def _module(path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    name = "lanes_under_check_" + re.sub(r"\W", "_", str(path.relative_to(TESTS)))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _parametrised(function: Any) -> list[Scenario]:
    (mark,) = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
    assert mark.args[0] == "scenario"
    return list(mark.args[1])


def _pem(passphrase: str = "") -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def _environ(pem: str, passphrase: str = "") -> dict[str, str]:
    environ = {PREFIX + n: f"test_{n.lower()}" for n in REQUIRED} | {PREFIX + "PRIVATE_KEY": pem}
    if passphrase:
        environ[PREFIX + "PRIVATE_KEY_PASSPHRASE"] = passphrase
    return environ


# -- the lists --------------------------------------------------------------------------------------------
def test_the_live_lane_runs_the_registry_minus_the_emulator_only_scenarios(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The live module's own parametrisation (imported as pytest would, with placeholder credentials)."""
    module = _module(
        TESTS / "live" / "test_snowflake_live.py",
        monkeypatch,
        **{PREFIX + n: "placeholder" for n in REQUIRED},
    )
    assert [s.id for s in _parametrised(module.test_scenario)] == [
        s.id for s in SCENARIOS if not s.emulator_only
    ]
    assert list(LIVE) == [s for s in SCENARIOS if not s.emulator_only]


def test_the_emulator_lane_runs_every_scenario_once(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    for path in sorted((TESTS / "e2e_snowflake").glob("test_*.py")):
        module = _module(path, monkeypatch)
        if hasattr(module, "GROUP"):
            assert module.GROUP is BY_GROUP[module.GROUP.name]
            assert _parametrised(module.test_scenario) == list(module.GROUP.scenarios)
            assert [m.name for m in module.pytestmark] == ["snowflake_e2e"]
            ran += [s.id for s in module.GROUP.scenarios]
    assert sorted(ran) == sorted(s.id for s in SCENARIOS)
    assert len(set(ran)) == len(ran)


def test_each_stage_runs_on_both_lanes_and_each_emulator_only_scenario_says_why() -> None:
    assert {c for s in LIVE for c in s.covers} >= set(STAGES)
    assert {c for s in SCENARIOS for c in s.covers} <= set(STAGES)
    for scenario in SCENARIOS:
        assert not scenario.emulator_only or len(scenario.emulator_only) > 30, scenario
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    # the emulator names each database after its scenario (first 60 characters): they must differ
    names = [identifier("LANE", s.name)[:60] for g in GROUPS if not g.shared for s in g.scenarios]
    names += [identifier("LANE", g.name)[:60] for g in GROUPS if g.shared]
    assert len(set(names)) == len(names)


# -- settings, identifiers, workspace, dbt profile -------------------------------------------------------
def test_settings_come_from_the_environment_and_name_what_is_missing() -> None:
    assert missing({}) == [PREFIX + n for n in REQUIRED]
    assert missing({PREFIX + "ACCOUNT": "a"}) == [PREFIX + n for n in REQUIRED if n != "ACCOUNT"]
    with pytest.raises(KeyError, match=PREFIX + "PRIVATE_KEY"):
        LiveSettings.from_environ({PREFIX + n: "x" for n in REQUIRED if n != "PRIVATE_KEY"})
    pem = _pem()
    settings = LiveSettings.from_environ(_environ(pem))
    assert (settings.account, settings.role, settings.private_key, settings.passphrase) == (
        "test_account",
        "test_role",
        pem,
        "",
    )
    assert settings.environ() == {"SNOWFLAKE_PRIVATE_KEY": pem}
    assert settings.endpoint() == []


def test_identifiers_are_unique_per_run_and_valid() -> None:
    tags = {run_tag({}) for _ in range(20)}
    assert len(tags) == 20
    tag = run_tag({"GITHUB_RUN_ID": "123456"})
    assert tag.startswith("123456_")
    database = identifier("PIPELINEOPS_T", tag, "time-travel")
    assert re.fullmatch(r"PIPELINEOPS_T_123456_[0-9A-F]{8}_TIME_TRAVEL", database)
    assert identifier("9", "x") == "L_9_X" and len(identifier("A" * 300)) == 255


@pytest.mark.parametrize("passphrase", ["", "s3cret"])
def test_the_connector_and_dbt_get_the_same_key(passphrase: str) -> None:
    from dbt.adapters.snowflake.connections import SnowflakeCredentials

    pem = _pem(passphrase)
    settings = LiveSettings.from_environ(_environ(pem, passphrase))
    kwargs = settings.connect_kwargs("PIPELINEOPS_T_X")
    assert kwargs["database"] == "PIPELINEOPS_T_X" and "password" not in kwargs
    assert "database" not in settings.connect_kwargs(None)
    key = serialization.load_der_private_key(kwargs["private_key"], password=None)
    assert isinstance(key, rsa.RSAPrivateKey)

    _, profiles = workspace_files(settings, "PIPELINEOPS_T_X", "PIPELINEOPS_T_X_REPORTER")
    env = {  # what pipelineops passes dbt: the engine's variables and the job's secrets
        "SNOWFLAKE_ACCOUNT": settings.account,
        "SNOWFLAKE_USER": settings.user,
        "SNOWFLAKE_ROLE": settings.role,
        "SNOWFLAKE_WAREHOUSE": settings.warehouse,
        "SNOWFLAKE_DATABASE": "PIPELINEOPS_T_X",
        **settings.environ(),
    }

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        assert default is not None, f"profiles.yml reads {name}, which is not set"
        return default

    rendered = jinja2.Environment(autoescape=False).from_string(profiles).render(env_var=env_var)
    outputs = yaml.safe_load(rendered)["lane"]["outputs"]
    for target in ("prod", "ci"):
        profile = dict(outputs[target])
        assert profile.pop("type") == "snowflake" and int(profile.pop("threads")) == 4
        assert "password" not in profile
        credentials = SnowflakeCredentials.from_dict(profile)
        assert credentials.authenticator == "snowflake_jwt"
        assert credentials.auth_args()["private_key"] == kwargs["private_key"]  # type: ignore[no-untyped-call]
        assert (credentials.database, credentials.role) == ("PIPELINEOPS_T_X", "test_role")
    assert passphrase not in profiles or not passphrase  # the secret stays in the environment
    assert pem not in profiles


def test_the_workspace_config_is_a_valid_pipelineops_yml(tmp_path: Path) -> None:
    from pipelineops.config import load_config

    settings = LiveSettings.from_environ(_environ(_pem()))
    config, _ = workspace_files(settings, "PIPELINEOPS_T_X", "PIPELINEOPS_T_X_REPORTER")
    (tmp_path / "pipelineops.yml").write_text(config)
    loaded = load_config(tmp_path / "pipelineops.yml")
    assert {e.database for e in loaded.environments.values()} == {"PIPELINEOPS_T_X"}
    assert "PIPELINEOPS_T_X_REPORTER" in config and "test_account" in config
    assert "PRIVATE KEY" not in config


def test_the_test_role_creates_before_and_drops_after() -> None:
    before, after = admin_statements("PIPELINEOPS_T_X", ["PIPELINEOPS_T_X_REPORTER"])
    assert before == [
        'CREATE DATABASE "PIPELINEOPS_T_X"',
        'CREATE ROLE IF NOT EXISTS "PIPELINEOPS_T_X_REPORTER"',
    ]
    assert after == [
        'DROP ROLE IF EXISTS "PIPELINEOPS_T_X_REPORTER"',
        'DROP DATABASE IF EXISTS "PIPELINEOPS_T_X"',
    ]
    for statement in before + after:
        check_snowflake_sql(statement)


# -- result shapes of a real account (column lists from the SHOW pages of the Snowflake documentation) ---
SHOW_TABLES = (
    ("created_on",),
    ("name",),
    ("database_name",),
    ("schema_name",),
    ("kind",),
    ("comment",),
    ("cluster_by",),
    ("rows",),
    ("bytes",),
    ("owner",),
    ("retention_time",),
    ("automatic_clustering",),
    ("change_tracking",),
    ("is_external",),
    ("enable_schema_evolution",),
    ("owner_role_type",),
    ("is_event",),
    ("budget",),
    ("is_hybrid",),
    ("is_iceberg",),
    ("is_dynamic",),
    ("is_immutable",),
)
SHOW_GRANTS_ON = tuple(
    (c,)
    for c in (
        "created_on",
        "privilege",
        "granted_on",
        "name",
        "granted_to",
        "grantee_name",
        "grant_option",
        "granted_by",
    )
)
SHOW_FUTURE_GRANTS = tuple(
    (c,) for c in ("created_on", "privilege", "grant_on", "name", "grant_to", "grantee_name", "grant_option")
)
SHOW_SCHEMAS = tuple(
    (c,)
    for c in (
        "created_on",
        "name",
        "is_default",
        "is_current",
        "database_name",
        "owner",
        "comment",
        "options",
        "retention_time",
        "owner_role_type",
        "budget",
    )
)
T = "2026-12-06 07:00:00.000 -0800"


REST = ("OFF", "OFF", "N", "N", "ROLE", "N", None, "N", "N", "N", "N")  # automatic_clustering … is_immutable


def test_show_tables_of_an_account_gives_each_table_its_kind() -> None:
    rows = [
        (T, "ORDERS_DAILY", "DB", "MARTS__GREEN", "TRANSIENT", "", "", 4, 1024, "DEPLOYER", "1", *REST),
        (T, "DEPLOY_STATE", "DB", "PIPELINEOPS", "TABLE", "", "", 9, 2048, "DEPLOYER", "1", *REST),
    ]
    assert table_kinds(show_rows(SHOW_TABLES, rows)) == {"ORDERS_DAILY": "TRANSIENT", "DEPLOY_STATE": "TABLE"}


def test_show_grants_of_an_account_gives_the_roles_of_a_privilege() -> None:
    rows = [
        (T, "OWNERSHIP", "VIEW", "DB.MARTS.FCT_ORDERS", "ROLE", "DEPLOYER", "true", "DEPLOYER"),
        (T, "SELECT", "VIEW", "DB.MARTS.FCT_ORDERS", "ROLE", "REPORTER", "false", "DEPLOYER"),
        (T, "SELECT", "VIEW", "DB.MARTS.FCT_ORDERS", "ROLE", "AUDITOR", "false", "SECURITYADMIN"),
        (T, "SELECT", "VIEW", "DB.MARTS.FCT_ORDERS", "SHARE", "PARTNER_SHARE", "false", "DEPLOYER"),
        (T, "SELECT", "VIEW", "DB.MARTS.FCT_ORDERS", "DATABASE_ROLE", "DB.READER", "false", "DEPLOYER"),
    ]
    parsed = show_rows(SHOW_GRANTS_ON, rows)
    assert grantee_roles(parsed, "SELECT") == {"REPORTER", "AUDITOR"}
    assert grantee_roles(parsed, "usage") == set()


def test_show_future_grants_of_an_account_reads_grant_on_and_grant_to() -> None:
    rows = [
        (T, "SELECT", "VIEW", "DB.MARTS.<VIEW>", "ROLE", "ANALYST", "false"),
        (T, "SELECT", "TABLE", "DB.MARTS.<TABLE>", "DATABASE_ROLE", "DB.READER", "false"),
    ]
    assert future_grants(show_rows(SHOW_FUTURE_GRANTS, rows)) == {("SELECT", "VIEW", "ANALYST")}


def test_show_schemas_of_an_account_says_which_is_managed() -> None:
    rows = [
        (T, "MARTS", "N", "N", "DB", "DEPLOYER", "", "TRANSIENT, MANAGED ACCESS", "1", "ROLE", None),
        (T, "MARTS__NEXT", "N", "N", "DB", "DEPLOYER", "", "TRANSIENT", "1", "ROLE", None),
        (T, "STAGING", "N", "N", "DB", "DEPLOYER", "", None, "1", "ROLE", None),
    ]
    parsed = show_rows(SHOW_SCHEMAS, rows)
    assert managed(parsed, "MARTS")
    assert not managed(parsed, "MARTS__NEXT") and not managed(parsed, "STAGING")
    assert not managed(parsed, "MISSING")
