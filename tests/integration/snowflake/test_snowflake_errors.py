"""Retries (transient errors, read-only work only) and the one error boundary (translation, redaction)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from snowflake.connector import errors as sf
from tests.integration.snowflake.support import DATABASE, QUERY_TAG, SETTINGS, RecordingConnect

from pipelineops.engines.snowflake import SnowflakeEngine, is_transient, redact, translate
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.plan import sql
from pipelineops.plan.sql import SNOWFLAKE

VIEW = sql.Relation(DATABASE, "MARTS", "ORDERS")


class FlakyConnection:
    """A real (fakesnow) connection whose next statements raise the queued errors first."""

    def __init__(self, inner: Any, failures: list[Exception]) -> None:
        self.inner = inner
        self.failures = failures
        self.executed: list[str] = []

    def cursor(self) -> FlakyCursor:
        return FlakyCursor(self, self.inner.cursor())

    def commit(self) -> None:
        self.inner.commit()

    def rollback(self) -> None:
        self.inner.rollback()

    def close(self) -> None:
        self.inner.close()


class FlakyCursor:
    def __init__(self, conn: FlakyConnection, inner: Any) -> None:
        self.conn = conn
        self.inner = inner

    def execute(self, statement: str) -> Any:
        self.conn.executed.append(statement)
        if self.conn.failures:
            raise self.conn.failures.pop(0)
        return self.inner.execute(statement)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def flaky(fake_connect: RecordingConnect) -> Iterator[tuple[FlakyConnection, list[float], SnowflakeEngine]]:
    conn = FlakyConnection(fake_connect(database=DATABASE, autocommit=False), [])
    sleeps: list[float] = []
    engine = SnowflakeEngine(conn, settings=SETTINGS, database=DATABASE, sleep=sleeps.append, max_delay=3.0)
    yield conn, sleeps, engine
    engine.close()


TRANSIENT = [
    sf.ServiceUnavailableError(),
    sf.InternalServerError(),
    sf.BadGatewayError(),
    sf.GatewayTimeoutError(),
    sf.RequestTimeoutError(),
    sf.TooManyRequests(),
    sf.OtherHTTPRetryableError(),
    sf.OperationalError(msg="request failed", errno=250003),
    sf.OperationalError(msg="timeout", errno=251011),
    sf.OperationalError(msg="retryable", errno=251012),
]
NOT_TRANSIENT = [
    sf.ProgrammingError(msg="syntax error", errno=1003),
    sf.OperationalError(msg="connection closed", errno=250002),
    sf.DatabaseError(msg="JWT token is invalid", errno=390144),
    sf.ForbiddenError(),
    sf.InterfaceError(msg="cursor closed"),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda e: f"{type(e).__name__}-{e.errno}")
def test_query_retries_listed_transient_errors_with_capped_backoff(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine], exc: Exception
) -> None:
    conn, sleeps, engine = flaky
    conn.failures[:] = [exc, exc, exc]
    assert engine.query("SELECT 7 AS n") == [{"n": 7}]
    assert sleeps == [1.0, 2.0, 3.0]  # 1, 2, 4 capped at max_delay=3
    assert len(conn.executed) == 4


@pytest.mark.parametrize("exc", NOT_TRANSIENT, ids=lambda e: f"{type(e).__name__}-{e.errno}")
def test_query_does_not_retry_other_errors(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine], exc: Exception
) -> None:
    conn, sleeps, engine = flaky
    conn.failures[:] = [exc]
    with pytest.raises(PipelineOpsError):
        engine.query("SELECT 1")
    assert sleeps == [] and len(conn.executed) == 1
    assert not is_transient(exc)


def test_query_gives_up_after_the_last_attempt_as_an_outage(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine],
) -> None:
    conn, sleeps, engine = flaky
    conn.failures[:] = [sf.ServiceUnavailableError() for _ in range(10)]
    with pytest.raises(PipelineOpsError) as info:
        engine.query("SELECT 1")
    assert type(info.value) is PipelineOpsError  # an outage, not the user's fault
    assert len(conn.executed) == 4 and len(sleeps) == 3


@pytest.mark.parametrize("statement", ["swap", "drop"])
def test_execute_never_retries_even_a_transient_error(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine], statement: str
) -> None:
    conn, sleeps, engine = flaky
    text = (
        sql.swap_schema(DATABASE, "MARTS", "MARTS__NEXT", SNOWFLAKE)
        if statement == "swap"
        else sql.drop_schema(DATABASE, "MARTS__OLD", SNOWFLAKE)
    )
    conn.failures[:] = [sf.ServiceUnavailableError()]
    with pytest.raises(PipelineOpsError):
        engine.execute(text)
    assert conn.executed == [text] and sleeps == []


def test_connect_retries_transient_errors_then_succeeds(fake_connect: RecordingConnect, pem: str) -> None:
    failures: list[Exception] = [sf.ServiceUnavailableError(), sf.OperationalError(msg="t", errno=251011)]
    sleeps: list[float] = []

    def connect(**kwargs: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return fake_connect(**kwargs)

    engine = SnowflakeEngine.connect(
        SETTINGS,
        database=DATABASE,
        environ={"SNOWFLAKE_PRIVATE_KEY": pem},
        query_tag=QUERY_TAG,
        connect_fn=connect,
        sleep=sleeps.append,
    )
    assert sleeps == [1.0, 2.0] and engine.query("SELECT 1 AS x") == [{"x": 1}]


@pytest.mark.parametrize(
    ("exc", "kind", "expected"),
    [
        (
            sf.HttpError(msg="404 Not Found: POST nope.snowflakecomputing.com", errno=290404),
            UserError,
            "account",
        ),
        (
            sf.ForbiddenError(msg="Failed to connect to DB. Verify the account name is correct"),
            UserError,
            "login",
        ),
        (sf.DatabaseError(msg="JWT token is invalid.", errno=390144), UserError, "DESC USER"),
        (
            sf.DatabaseError(msg="Incorrect username or password was specified.", errno=250001),
            UserError,
            "login",
        ),
        (sf.ProgrammingError(msg="no account name", errno=251001), UserError, "account"),
        (sf.ServiceUnavailableError(), PipelineOpsError, "re-run"),
        (sf.OperationalError(msg="something odd", errno=250002), PipelineOpsError, "something odd"),
    ],
    ids=["404", "403", "jwt", "password", "no-account", "503", "other"],
)
def test_connect_errors_are_user_errors_only_when_clearly_config(
    pem: str, exc: Exception, kind: type[PipelineOpsError], expected: str
) -> None:
    def connect(**kwargs: Any) -> Any:
        raise exc

    with pytest.raises(PipelineOpsError) as info:
        SnowflakeEngine.connect(
            SETTINGS,
            database=DATABASE,
            environ={"SNOWFLAKE_PRIVATE_KEY": pem},
            query_tag=QUERY_TAG,
            connect_fn=connect,
            sleep=lambda _: None,
        )
    assert type(info.value) is kind
    assert expected in info.value.render()
    assert pem.splitlines()[1] not in info.value.render()


def test_missing_object_on_the_emulator_is_a_grants_user_error(engine: SnowflakeEngine) -> None:
    with pytest.raises(UserError) as info:
        engine.query(sql.row_count(VIEW, SNOWFLAKE))
    text = info.value.render()
    assert "runbooks/snowflake-grants.md" in text
    for role in ("LOADER", "TRANSFORMER", "REPORTER", "DEPLOYER"):
        assert role in text


@pytest.mark.parametrize(
    "message",
    [
        "SQL compilation error:\nInsufficient privileges to operate on schema 'MARTS'",
        "SQL compilation error:\nObject 'ANALYTICS_DB.MARTS.ORDERS' does not exist or not authorized.",
    ],
)
def test_privilege_errors_become_user_errors_with_the_query_id(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine],
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn, _, engine = flaky
    caplog.set_level(logging.DEBUG, logger="pipelineops.engines.snowflake")
    conn.failures[:] = [
        sf.ProgrammingError(msg=message, errno=3001, sqlstate="42501", sfqid="01b2c3d4-0000-abcd")
    ]
    with pytest.raises(UserError) as info:
        engine.execute(sql.create_view(VIEW, VIEW, SNOWFLAKE))
    text = info.value.render()
    assert "query id 01b2c3d4-0000-abcd" in text and "SHOW GRANTS TO ROLE" in text
    assert "Snowflake query id: 01b2c3d4-0000-abcd" in caplog.text


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (
            'Duplicate row detected during DML action\nRow Values: [42, "alice@example.com", 1.5]',
            "alice@example",
        ),
        ("Numeric value 'card-4111111111111111' is not recognized", "4111111111111111"),
        ("Timestamp 'Tue 1 Jan 1985' is not recognized", "1985"),
        ("String 'very secret text' is too long and would be truncated", "very secret"),
        ("Duplicate field key 'ssn-123-45-6789'", "6789"),
    ],
    ids=["row-values", "numeric", "timestamp", "string", "field-key"],
)
def test_row_values_are_redacted_from_messages_and_logs(
    flaky: tuple[FlakyConnection, list[float], SnowflakeEngine],
    message: str,
    secret: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn, _, engine = flaky
    caplog.set_level(logging.DEBUG, logger="pipelineops.engines.snowflake")
    conn.failures[:] = [sf.ProgrammingError(msg=message, errno=100090, sqlstate="22000", sfqid="01ff")]
    with pytest.raises(PipelineOpsError) as info:
        engine.execute("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v")
    text = info.value.render()
    assert type(info.value) is PipelineOpsError
    assert "[redacted]" in text and "query id 01ff" in text
    assert secret not in text and secret not in caplog.text
    assert info.value.__cause__ is None and info.value.__suppress_context__  # the raw message is not chained


def test_redact_keeps_messages_without_row_values() -> None:
    assert (
        redact("Object 'X' does not exist or not authorized.")
        == "Object 'X' does not exist or not authorized."
    )


def test_translate_without_query_id_or_statement() -> None:
    err = translate(sf.ProgrammingError(msg="boom", errno=1003))
    assert err.render() == "Snowflake error: 001003: boom"
