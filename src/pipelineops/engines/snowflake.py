"""The production engine: Snowflake through snowflake-connector-python.

Auth is key-pair (``SNOWFLAKE_PRIVATE_KEY`` PEM text or ``SNOWFLAKE_PRIVATE_KEY_PATH``, optional
``SNOWFLAKE_PRIVATE_KEY_PASSPHRASE``) or OIDC workload identity (``SNOWFLAKE_OIDC_TOKEN``); never a password.
Every session carries ``QUERY_TAG`` (JSON) and ``application="pipelineops"``. The session runs with
``AUTOCOMMIT = FALSE``: ``execute`` commits each statement itself, and ``transaction`` wraps statements in
``BEGIN TRANSACTION … COMMIT`` (DDL still commits on its own on Snowflake; plans never rely on it).
``query`` (read-only) retries the transient errors in ``TRANSIENT_ERROR_TYPES``/``TRANSIENT_ERRNOS`` with
capped exponential backoff; ``execute`` runs exactly once. ``translate`` is the one boundary where connector
errors become ours: row values redacted, the query id logged at debug and quoted in the message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import snowflake.connector
from snowflake.connector import errors as sf_errors

from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.base import Row
from pipelineops.engines.snowflake_auth import (  # re-exported: part of this module's interface
    APPLICATION as APPLICATION,
)
from pipelineops.engines.snowflake_auth import (
    ENV_OIDC_TOKEN as ENV_OIDC_TOKEN,
)
from pipelineops.engines.snowflake_auth import (
    ENV_PASSPHRASE as ENV_PASSPHRASE,
)
from pipelineops.engines.snowflake_auth import (
    ENV_PASSWORD as ENV_PASSWORD,
)
from pipelineops.engines.snowflake_auth import (
    ENV_PRIVATE_KEY as ENV_PRIVATE_KEY,
)
from pipelineops.engines.snowflake_auth import (
    ENV_PRIVATE_KEY_PATH as ENV_PRIVATE_KEY_PATH,
)
from pipelineops.engines.snowflake_auth import (
    QUERY_TAG_MAX as QUERY_TAG_MAX,
)
from pipelineops.engines.snowflake_auth import (
    SECRET_ENV_VARS as SECRET_ENV_VARS,
)
from pipelineops.engines.snowflake_auth import (
    connect_kwargs as connect_kwargs,
)
from pipelineops.engines.snowflake_auth import (
    load_private_key as load_private_key,
)
from pipelineops.engines.snowflake_auth import (
    missing_secret as missing_secret,
)
from pipelineops.engines.snowflake_auth import (
    query_tag_json as query_tag_json,
)
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.plan.sql import SNOWFLAKE, Dialect

log = logging.getLogger(__name__)
T = TypeVar("T")
ConnectFn = Callable[..., Any]

#: HTTP-level failures that a later attempt may not meet (500, 502, 503, 504, 408, 429, other 5xx).
TRANSIENT_ERROR_TYPES: tuple[type[sf_errors.Error], ...] = (
    sf_errors.InternalServerError,
    sf_errors.BadGatewayError,
    sf_errors.ServiceUnavailableError,
    sf_errors.GatewayTimeoutError,
    sf_errors.RequestTimeoutError,
    sf_errors.TooManyRequests,
    sf_errors.OtherHTTPRetryableError,
)
#: ``OperationalError`` errnos of network trouble: request failed (250003), timeout (251011), retryable (251012).
TRANSIENT_ERRNOS = frozenset({250003, 251011, 251012})
#: Login refused: failed to connect (250001), bad password (390100), bad JWT/key (390144), role not granted
#: (390189), database/warehouse not authorized (390201), IP not allowed (390422), WIF refused (390405).
AUTH_ERRNOS = frozenset({250001, 390100, 390144, 390189, 390201, 390405, 390422})
#: Object missing or not visible to the role (2003), insufficient privileges (3001).
GRANT_ERRNOS = frozenset({2003, 3001})
GRANT_TEXT = (
    "insufficient privileges",
    "does not exist or not authorized",
    "does not have a current database",
)
#: Clearly a configuration mistake when connecting: no account/user (251001/251005), bad value (251007), bad
#: key (251008), no host (251009), bad workload-identity settings (251017/251018), account URL 404 (290404).
CONFIG_ERRNOS = frozenset({251001, 251005, 251007, 251008, 251009, 251017, 251018, 290404})
#: Snowflake messages that quote row values (cf. dbt-snowflake ``ERROR_REDACTION_PATTERNS``).
ERROR_REDACTION_PATTERNS: dict[re.Pattern[str], str] = {
    re.compile(r"Row Values: \[(.|\n)*\]"): "Row Values: [redacted]",
    re.compile(r"Duplicate field key '(.|\n)*'"): "Duplicate field key '[redacted]'",
    re.compile(
        r"\b(Numeric value|Boolean value|Date|Time|Timestamp|String) '[^\n]*?'(?= is )"
    ): r"\1 '[redacted]'",
}
ROLES_FIX = (
    "check the grants of the role in use (SHOW GRANTS TO ROLE <role>): LOADER loads RAW, TRANSFORMER builds "
    "with dbt (USAGE on warehouse and database, CREATE SCHEMA), REPORTER reads the consumer views, DEPLOYER "
    "swaps and rolls back (it owns the colour, shadow and consumer schemas it creates; swapping needs "
    "ownership of both schemas); the roles and grants are declared in terraform/spec/access.yml"
)


def redact(message: str) -> str:
    for pattern, replacement in ERROR_REDACTION_PATTERNS.items():
        message = pattern.sub(replacement, message)
    return message


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT_ERROR_TYPES):
        return True
    return isinstance(exc, sf_errors.OperationalError) and exc.errno in TRANSIENT_ERRNOS


def translate(exc: sf_errors.Error, sql: str = "", *, connecting: bool = False) -> PipelineOpsError:
    """The one boundary: a connector error becomes ours, row values redacted, the query id kept."""
    message = redact(str(exc)).strip() or type(exc).__name__
    qid = exc.sfqid
    log.debug("Snowflake query id: %s", qid)
    log.debug("Snowflake error: %s", message)
    text = f"Snowflake error: {message}" + (f" (query id {qid})" if qid else "")
    why = f"while running: {sql[:200]}" if sql else ""
    lowered = message.lower()
    if is_transient(exc):
        return PipelineOpsError(
            text, why="Snowflake or the network failed; retries did not help", fix="re-run"
        )
    if exc.errno in AUTH_ERRNOS or (connecting and isinstance(exc, sf_errors.ForbiddenError)):
        return UserError(
            text,
            why="Snowflake refused the login: wrong account, user, role or key, or the role is not granted",
            fix="check account/user/role in pipelineops.yml and that the public key registered for the user "
            "(DESC USER <user>) matches the private key in the secret; " + ROLES_FIX,
            runbook="snowflake-auth.md",
        )
    if exc.errno in GRANT_ERRNOS or any(t in lowered for t in GRANT_TEXT):
        return UserError(
            text, why=why or "the role lacks a grant", fix=ROLES_FIX, runbook="snowflake-grants.md"
        )
    if connecting and exc.errno in CONFIG_ERRNOS:
        return UserError(
            text,
            why="the connection settings are wrong (account identifier, host, user or key)",
            fix="set `snowflake.account` to <orgname>-<account_name> (no .snowflakecomputing.com)",
            runbook="snowflake-auth.md",
        )
    return PipelineOpsError(text, why=why)


def with_retry(
    fn: Callable[[], T], *, sleep: Callable[[float], None], attempts: int, base_delay: float, max_delay: float
) -> T:
    """Call ``fn``; on a transient error wait ``base_delay * 2**n`` (capped) and try again, ``attempts`` in all."""
    for attempt in range(attempts):
        try:
            return fn()
        except sf_errors.Error as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            delay = min(max_delay, base_delay * 2**attempt)
            log.warning(
                "transient Snowflake error (%s, errno %s); retrying in %.1f s",
                type(exc).__name__,
                exc.errno,
                delay,
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


class SnowflakeEngine:
    dialect: Dialect = SNOWFLAKE

    def __init__(
        self,
        handle: Any,
        *,
        settings: SnowflakeConnection,
        database: str,
        query_tag: str = "",
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        base_delay: float = 1.0,
        max_delay: float = 16.0,
    ) -> None:
        self._handle = handle
        self.settings = settings
        self.database = database
        self.query_tag = query_tag
        self._sleep = sleep
        self._attempts, self._base_delay, self._max_delay = attempts, base_delay, max_delay
        self._in_transaction = False
        self.last_query_id: str | None = None

    @classmethod
    def connect(
        cls,
        conn: SnowflakeConnection,
        *,
        database: str,
        environ: Mapping[str, str],
        query_tag: Mapping[str, str],
        connect_fn: ConnectFn = snowflake.connector.connect,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
    ) -> SnowflakeEngine:
        """Open a session (connect is retried on transient errors only); secrets come from ``environ``."""
        kwargs = connect_kwargs(conn, database=database, environ=environ, query_tag=query_tag)
        log.debug("connecting to Snowflake account %s as %s (role %s)", conn.account, conn.user, conn.role)
        try:
            handle = with_retry(
                lambda: connect_fn(**kwargs), sleep=sleep, attempts=attempts, base_delay=1.0, max_delay=16.0
            )
        except sf_errors.Error as exc:
            raise translate(exc, connecting=True) from None
        tag = query_tag_json(query_tag)
        return cls(handle, settings=conn, database=database, query_tag=tag, sleep=sleep, attempts=attempts)

    # -- statements ------------------------------------------------------------------------------
    def _run(self, sql: str, *, describe: bool = True) -> tuple[list[Row], int]:
        cur = self._handle.cursor()
        try:
            cur.execute(sql)
            self.last_query_id = cur.sfqid
            log.debug("query id %s: %s", cur.sfqid, sql)
            # BEGIN/COMMIT return no result set; fakesnow fails when asked to describe them
            if not describe or not cur.description:
                return [], max(cur.rowcount or 0, 0)
            names = [str(d[0]) for d in cur.description]
            lowered = [n.lower() for n in names]
            keys = lowered if len(set(lowered)) == len(lowered) else names
            rows: list[Row] = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
            return rows, max(cur.rowcount or 0, 0)
        finally:
            cur.close()

    def query(self, sql: str) -> list[Row]:
        """Rows keyed by lower-case column names (SHOW's ``name``, ``kind``…); retried when transient."""
        try:
            rows, _ = with_retry(
                lambda: self._run(sql),
                sleep=self._sleep,
                attempts=self._attempts,
                base_delay=self._base_delay,
                max_delay=self._max_delay,
            )
        except sf_errors.Error as exc:
            raise translate(exc, sql) from None
        return rows

    def _once(self, sql: str, *, commit: bool, describe: bool = True) -> int:
        try:
            _, count = self._run(sql, describe=describe)
            if commit:
                self._handle.commit()
        except sf_errors.Error as exc:
            raise translate(exc, sql) from None
        return count

    def execute(self, sql: str) -> int:
        """Run one statement exactly once (never retried); commit it unless inside ``transaction``."""
        return self._once(sql, commit=not self._in_transaction)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN TRANSACTION`` … ``COMMIT``; ``ROLLBACK`` when the body raises. DML only on Snowflake."""
        if self._in_transaction:
            raise PipelineOpsError("nested transaction on the Snowflake engine (a bug in the caller)")
        self._once("BEGIN TRANSACTION", commit=False, describe=False)
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._in_transaction = False
            try:
                self._handle.rollback()
            except sf_errors.Error:  # pragma: no cover - the session is already gone
                log.debug("rollback after failure also failed", exc_info=True)
            raise
        self._in_transaction = False
        self._once("COMMIT", commit=False, describe=False)

    def close(self) -> None:
        try:
            self._handle.close()
        except sf_errors.Error:  # pragma: no cover - closing a dead session
            log.debug("close failed", exc_info=True)

    def release_for_dbt(self) -> None:
        """Nothing to release: Snowflake serves dbt's sessions beside this one, and this session must stay
        open for the journal rows and the lock release that follow dbt (closing it here was finding C1)."""

    def dbt_env(self) -> dict[str, str]:
        """The non-secret variables dbt's Snowflake profile reads (``dbt/profiles.yml``).

        The secrets (``SNOWFLAKE_PRIVATE_KEY``/``_PATH``/``_PASSPHRASE``) are not added here: dbt reads them
        from the job environment, which passes through to dbt unchanged.
        """
        return {
            "SNOWFLAKE_ACCOUNT": self.settings.account,
            "SNOWFLAKE_USER": self.settings.user,
            "SNOWFLAKE_ROLE": self.settings.role,
            "SNOWFLAKE_WAREHOUSE": self.settings.warehouse,
            "SNOWFLAKE_DATABASE": self.database,
            "PIPELINEOPS_QUERY_TAG": self.query_tag,
        }
