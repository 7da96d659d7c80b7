"""Fixtures for the Snowflake engine against the fakesnow emulator (in-process, no HTTP server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import fakesnow
import pytest
import snowflake.connector
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.integration.snowflake.support import DATABASE, QUERY_TAG, SETTINGS, RecordingConnect

from pipelineops.engines.snowflake import SnowflakeEngine


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def fake_connect() -> Iterator[RecordingConnect]:
    with fakesnow.patch():
        yield RecordingConnect(snowflake.connector.connect)


@pytest.fixture
def open_engine(fake_connect: RecordingConnect, pem: str) -> Iterator[Callable[[], SnowflakeEngine]]:
    opened: list[SnowflakeEngine] = []

    def _open() -> SnowflakeEngine:
        engine = SnowflakeEngine.connect(
            SETTINGS,
            database=DATABASE,
            environ={"SNOWFLAKE_PRIVATE_KEY": pem},
            query_tag=QUERY_TAG,
            connect_fn=fake_connect,
        )
        opened.append(engine)
        return engine

    yield _open
    for engine in opened:
        engine.close()


@pytest.fixture
def engine(open_engine: Callable[[], SnowflakeEngine]) -> SnowflakeEngine:
    return open_engine()
