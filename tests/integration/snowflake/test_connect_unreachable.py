"""Connecting: a host that cannot be reached is an outage (exit 3, "cannot reach <host>", within the login
timeout, no retry loop); a refused login stays a user error (exit 2). Real connector, real sockets."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path

import pytest
import snowflake.connector
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from snowflake.connector import errors as sf

from pipelineops.cli import main
from pipelineops.engines import snowflake_auth

CONFIG = """\
version: 1
environments:
  prod:
    engine: snowflake
    dbt_target: prod
    database: ANALYTICS
    snowflake: {{account: acme-prod, user: CI, role: R, warehouse: W, host: 127.0.0.1, port: {port}, protocol: http}}
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SNOWFLAKE_PRIVATE_KEY": pem}


def status(tmp_path: Path, environ: dict[str, str], port: int) -> tuple[int, str]:
    config = tmp_path / "pipelineops.yml"
    config.write_text(CONFIG.format(port=port), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["status", "--env", "prod", "--config", str(config)], environ=environ, stdout=out, stderr=err)
    return code, err.getvalue()


def test_an_unreachable_host_is_an_outage_reported_fast(
    tmp_path: Path, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snowflake_auth, "LOGIN_TIMEOUT_S", 3)
    started = time.monotonic()
    code, err = status(tmp_path, environ, closed_port())
    assert code == 3, err
    assert "cannot reach 127.0.0.1" in err and "refused the login" not in err
    assert time.monotonic() - started < 15  # one login timeout, not the connector's and our retries


def test_a_refused_login_stays_a_user_error(
    tmp_path: Path, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: object) -> None:
        raise sf.DatabaseError(msg="Failed to connect to DB: JWT token is invalid.", errno=390144)

    monkeypatch.setattr(snowflake.connector, "connect", refuse)
    code, err = status(tmp_path, environ, closed_port())
    assert code == 2, err
    assert "refused the login" in err and "cannot reach" not in err


def test_connect_sets_login_and_network_timeouts(environ: dict[str, str]) -> None:
    from pipelineops.config.model import SnowflakeConnection

    conn = SnowflakeConnection(account="acme-prod", user="CI", role="R", warehouse="W")
    kwargs = snowflake_auth.connect_kwargs(conn, database="DB", environ=environ, query_tag={"app": "x"})
    assert kwargs["login_timeout"] == snowflake_auth.LOGIN_TIMEOUT_S == 20
    assert kwargs["network_timeout"] == snowflake_auth.NETWORK_TIMEOUT_S
    assert snowflake_auth.account_host(conn) == "acme-prod.snowflakecomputing.com"
