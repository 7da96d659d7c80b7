"""Connect arguments: key-pair and OIDC secrets from env, QUERY_TAG and application on every session."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from snowflake.connector.connection import DEFAULT_CONFIGURATION
from tests.integration.snowflake.support import DATABASE, QUERY_TAG, SETTINGS, RecordingConnect

from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.snowflake import SnowflakeEngine, connect_kwargs, load_private_key
from pipelineops.errors import UserError

OIDC = SnowflakeConnection(
    account="acme-prod", user="CI_DEPLOYER", role="DEPLOYER", warehouse="CI_WH", auth="oidc"
)


def _public(der: bytes) -> int:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key().public_numbers().n


def _encrypted_pem(key: rsa.RSAPrivateKey, passphrase: bytes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


def test_connect_sets_query_tag_application_autocommit_and_key_pair(
    fake_connect: RecordingConnect, pem: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    engine = SnowflakeEngine.connect(
        SETTINGS,
        database=DATABASE,
        environ={"SNOWFLAKE_PRIVATE_KEY": pem},
        query_tag=QUERY_TAG,
        connect_fn=fake_connect,
    )
    (kwargs,) = fake_connect.calls
    assert json.loads(kwargs["session_parameters"]["QUERY_TAG"]) == QUERY_TAG
    assert kwargs["application"] == "pipelineops"
    assert kwargs["autocommit"] is False
    assert kwargs["authenticator"] == "SNOWFLAKE_JWT"
    assert (kwargs["account"], kwargs["user"], kwargs["role"], kwargs["warehouse"], kwargs["database"]) == (
        "acme-prod",
        "CI_DEPLOYER",
        "DEPLOYER",
        "CI_WH",
        DATABASE,
    )
    assert _public(kwargs["private_key"]) == rsa_key.public_key().public_numbers().n
    assert "password" not in kwargs
    # the session really works through the emulator
    assert engine.query("SELECT 1 AS one") == [{"one": 1}]


def test_every_connect_argument_is_a_real_connector_parameter(pem: str) -> None:
    for settings, environ in (
        (SETTINGS, {"SNOWFLAKE_PRIVATE_KEY": pem}),
        (OIDC, {"SNOWFLAKE_OIDC_TOKEN": "tok"}),
    ):
        kwargs = connect_kwargs(settings, database=DATABASE, environ=environ, query_tag=QUERY_TAG)
        assert set(kwargs) <= set(DEFAULT_CONFIGURATION), set(kwargs) - set(DEFAULT_CONFIGURATION)


def test_oidc_uses_workload_identity_with_the_token_from_env() -> None:
    kwargs = connect_kwargs(
        OIDC, database=DATABASE, environ={"SNOWFLAKE_OIDC_TOKEN": "eyJ.tok"}, query_tag={}
    )
    assert kwargs["authenticator"] == "WORKLOAD_IDENTITY"
    assert kwargs["workload_identity_provider"] == "OIDC"
    assert kwargs["token"] == "eyJ.tok"
    assert "private_key" not in kwargs


def test_host_port_and_protocol_are_passed_when_configured(pem: str) -> None:
    local = SnowflakeConnection(
        account="acme", user="u", role="r", warehouse="w", host="127.0.0.1", port=8080, protocol="http"
    )
    kwargs = connect_kwargs(local, database=DATABASE, environ={"SNOWFLAKE_PRIVATE_KEY": pem}, query_tag={})
    assert (kwargs["host"], kwargs["port"], kwargs["protocol"]) == ("127.0.0.1", 8080, "http")


@pytest.mark.parametrize(
    ("settings", "var"),
    [(SETTINGS, "SNOWFLAKE_PRIVATE_KEY"), (OIDC, "SNOWFLAKE_OIDC_TOKEN")],
    ids=["key-pair", "oidc"],
)
def test_missing_secret_names_the_variable_and_shows_the_workflow_yaml(
    settings: SnowflakeConnection, var: str, fake_connect: RecordingConnect
) -> None:
    with pytest.raises(UserError) as info:
        SnowflakeEngine.connect(
            settings, database=DATABASE, environ={}, query_tag=QUERY_TAG, connect_fn=fake_connect
        )
    text = info.value.render()
    assert f"{var} is not set" in text
    assert f"{var}: ${{{{ secrets.{var} }}}}" in text
    assert "runbooks/snowflake-auth.md" in text
    assert fake_connect.calls == []


def test_password_in_env_is_ignored_with_a_warning(pem: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pipelineops.engines.snowflake")
    environ = {"SNOWFLAKE_PRIVATE_KEY": pem, "SNOWFLAKE_PASSWORD": "hunter2"}
    kwargs = connect_kwargs(SETTINGS, database=DATABASE, environ=environ, query_tag={})
    assert "password" not in kwargs and "hunter2" not in repr(kwargs)
    assert "SNOWFLAKE_PASSWORD is set and ignored" in caplog.text
    assert "hunter2" not in caplog.text


def test_encrypted_key_loads_with_its_passphrase(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _encrypted_pem(rsa_key, b"s3cret")
    der = load_private_key({"SNOWFLAKE_PRIVATE_KEY": pem, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "s3cret"})
    assert _public(der) == rsa_key.public_key().public_numbers().n


def test_key_from_path_and_escaped_newlines_both_load(
    tmp_path: Path, pem: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "key.p8"
    path.write_text(pem)
    expected = rsa_key.public_key().public_numbers().n
    assert _public(load_private_key({"SNOWFLAKE_PRIVATE_KEY_PATH": str(path)})) == expected
    assert _public(load_private_key({"SNOWFLAKE_PRIVATE_KEY": pem.replace("\n", "\\n")})) == expected


@pytest.mark.parametrize(
    ("environ_of", "expected"),
    [
        (lambda enc, plain: {"SNOWFLAKE_PRIVATE_KEY": enc}, "encrypted and no passphrase is set"),
        (
            lambda enc, plain: {"SNOWFLAKE_PRIVATE_KEY": plain, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "x"},
            "not encrypted but a passphrase is set",
        ),
        (
            lambda enc, plain: {
                "SNOWFLAKE_PRIVATE_KEY": enc,
                "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "Pass-Wr0ng-66",
            },
            "cannot be loaded",
        ),
        (lambda enc, plain: {"SNOWFLAKE_PRIVATE_KEY": "TOPSECRETVALUE"}, "cannot be loaded"),
        (
            lambda enc, plain: {"SNOWFLAKE_PRIVATE_KEY": plain, "SNOWFLAKE_PRIVATE_KEY_PATH": "/k.p8"},
            "both SNOWFLAKE_PRIVATE_KEY and SNOWFLAKE_PRIVATE_KEY_PATH are set",
        ),
        (lambda enc, plain: {"SNOWFLAKE_PRIVATE_KEY_PATH": "/nonexistent/key.p8"}, "cannot be read"),
    ],
    ids=["no-passphrase", "needless-passphrase", "wrong-passphrase", "not-pem", "both", "unreadable-path"],
)
def test_bad_key_material_is_a_user_error_without_the_secret(
    environ_of: object, expected: str, rsa_key: rsa.RSAPrivateKey, pem: str
) -> None:
    enc = _encrypted_pem(rsa_key, b"Pass-R1ght-77")
    environ = environ_of(enc, pem)  # type: ignore[operator]
    with pytest.raises(UserError) as info:
        load_private_key(environ)
    text = info.value.render()
    assert expected in text
    for secret in (
        "TOPSECRETVALUE",
        "Pass-R1ght-77",
        "Pass-Wr0ng-66",
        pem.splitlines()[1],
        enc.splitlines()[1],
    ):
        assert secret not in text


def test_dbt_env_has_the_profile_variables_and_no_secret(engine: SnowflakeEngine, pem: str) -> None:
    env = engine.dbt_env()
    assert env == {
        "SNOWFLAKE_ACCOUNT": "acme-prod",
        "SNOWFLAKE_USER": "CI_DEPLOYER",
        "SNOWFLAKE_ROLE": "DEPLOYER",
        "SNOWFLAKE_WAREHOUSE": "CI_WH",
        "SNOWFLAKE_DATABASE": DATABASE,
        "PIPELINEOPS_QUERY_TAG": json.dumps(QUERY_TAG, sort_keys=True, separators=(",", ":")),
    }
    assert not any(pem.splitlines()[1] in v for v in env.values())


def test_overlong_query_tag_is_refused(pem: str) -> None:
    with pytest.raises(UserError, match="query tag is"):
        connect_kwargs(
            SETTINGS, database=DATABASE, environ={"SNOWFLAKE_PRIVATE_KEY": pem}, query_tag={"x": "y" * 2000}
        )
