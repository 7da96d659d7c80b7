"""Snowflake authentication from the environment: key-pair (two key slots for rotation) or OIDC workload
identity. Never passwords. The values built here hold secrets: never log them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from pipelineops.config.model import SnowflakeConnection
from pipelineops.errors import PipelineOpsError, UserError
from pipelineops.plan.identifiers import check_identifier

log = logging.getLogger(__name__)

APPLICATION = "pipelineops"
QUERY_TAG_MAX = 2000  # Snowflake's limit on QUERY_TAG
ENV_PRIVATE_KEY = "SNOWFLAKE_PRIVATE_KEY"
ENV_PRIVATE_KEY_PATH = "SNOWFLAKE_PRIVATE_KEY_PATH"
ENV_PASSPHRASE = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"  # noqa: S105 - a variable name
ENV_OIDC_TOKEN = "SNOWFLAKE_OIDC_TOKEN"  # noqa: S105 - a variable name
ENV_PASSWORD = "SNOWFLAKE_PASSWORD"  # noqa: S105 - a variable name
#: Secret variables. dbt reads the key-pair ones from the job environment unchanged; ``dbt_env`` never adds them.
SECRET_ENV_VARS = (ENV_PRIVATE_KEY, ENV_PRIVATE_KEY_PATH, ENV_PASSPHRASE, ENV_OIDC_TOKEN)


LOGIN_TIMEOUT_S = 20
#: Per request of an open session (long queries are polled by the connector, each poll well under this).
NETWORK_TIMEOUT_S = 300
#: Network trouble while connecting, as the connector reports it: its retries ran out (250001 "Could not
#: connect to Snowflake backend"), the request failed (250003) or timed out (251011/251012), or the
#: resolver/socket error text it wraps.
UNREACHABLE_ERRNOS = frozenset({250003, 251011, 251012})
UNREACHABLE_TEXT = (
    "could not connect to snowflake backend",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "failed to establish a new connection",
    "connection refused",
    "max retries exceeded",
)


def account_host(conn: SnowflakeConnection) -> str:
    return conn.host or f"{conn.account}.snowflakecomputing.com"


def is_unreachable(exc: BaseException) -> bool:
    """A connect error that is an outage (the host cannot be reached), not a refused login."""
    text = str(exc).lower()
    return getattr(exc, "errno", None) in UNREACHABLE_ERRNOS or any(t in text for t in UNREACHABLE_TEXT)


def unreachable(conn: SnowflakeConnection, exc: BaseException) -> PipelineOpsError:
    """An outage (exit 3): the account host did not answer within the login timeout."""
    host = account_host(conn)
    return PipelineOpsError(
        f"cannot reach {host}: Snowflake did not answer within {LOGIN_TIMEOUT_S} s",
        why=f"a DNS or network failure, or a Snowflake outage ({str(exc).strip()[:200]})",
        fix=f"check that the runner resolves and reaches {host} (`curl -sI https://{host}`) and that "
        "snowflake.account is <orgname>-<account_name>; then re-run",
        runbook="snowflake-auth.md",
    )


def missing_secret(var: str, what: str) -> UserError:
    return UserError(
        f"{var} is not set: PipelineOps needs {what} to connect to Snowflake",
        why="the secret is not passed to this step's environment",
        fix=f"add it to the step that runs pipelineops:\n  env:\n    {var}: ${{{{ secrets.{var} }}}}",
        runbook="snowflake-auth.md",
    )


def load_private_key(environ: Mapping[str, str]) -> bytes:
    """The key-pair private key from env, as unencrypted PKCS#8 DER bytes for ``private_key=``."""
    pem_text = environ.get(ENV_PRIVATE_KEY, "").strip()
    path = environ.get(ENV_PRIVATE_KEY_PATH, "").strip()
    if pem_text and path:
        raise UserError(
            f"both {ENV_PRIVATE_KEY} and {ENV_PRIVATE_KEY_PATH} are set", fix="set only one of them"
        )
    if not pem_text and not path:
        raise missing_secret(ENV_PRIVATE_KEY, "a key-pair private key (or SNOWFLAKE_PRIVATE_KEY_PATH)")
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UserError(f"{ENV_PRIVATE_KEY_PATH} cannot be read: {exc.strerror}", why=path) from None
        source = ENV_PRIVATE_KEY_PATH
    else:
        if "\n" not in pem_text and "\\n" in pem_text:  # a secret pasted with escaped newlines
            pem_text = pem_text.replace("\\n", "\n")
        data = pem_text.encode()
        source = ENV_PRIVATE_KEY
    passphrase = environ.get(ENV_PASSPHRASE, "")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except TypeError:
        state = (
            "encrypted and no passphrase is set"
            if not passphrase
            else "not encrypted but a passphrase is set"
        )
        raise UserError(
            f"the private key in {source} is {state}",
            fix=f"set {ENV_PASSPHRASE} only for an encrypted key:\n  env:\n    {ENV_PASSPHRASE}: "
            f"${{{{ secrets.{ENV_PASSPHRASE} }}}}",
            runbook="snowflake-auth.md",
        ) from None
    except ValueError:
        raise UserError(
            f"the private key in {source} cannot be loaded (not a PEM private key, or a wrong passphrase)",
            fix="store the whole PEM (-----BEGIN … PRIVATE KEY----- … -----END …) in the secret",
            runbook="snowflake-auth.md",
        ) from None
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def query_tag_json(query_tag: Mapping[str, str]) -> str:
    tag = json.dumps(dict(query_tag), sort_keys=True, separators=(",", ":"))
    if len(tag) > QUERY_TAG_MAX:
        raise UserError(f"the query tag is {len(tag)} characters long", fix=f"keep it under {QUERY_TAG_MAX}")
    return tag


def connect_kwargs(
    conn: SnowflakeConnection, *, database: str, environ: Mapping[str, str], query_tag: Mapping[str, str]
) -> dict[str, object]:
    """Keyword arguments for ``snowflake.connector.connect`` (they hold the secret: never log them)."""
    if environ.get(ENV_PASSWORD):
        log.warning("%s is set and ignored: PipelineOps connects with key-pair or OIDC only", ENV_PASSWORD)
    kwargs: dict[str, object] = {
        "account": conn.account,
        "user": conn.user,
        "role": conn.role,
        "warehouse": conn.warehouse,
        "database": check_identifier(database, field="database"),
        "application": APPLICATION,
        "autocommit": False,
        "session_parameters": {"QUERY_TAG": query_tag_json(query_tag)},
        # a DNS or network failure ends within LOGIN_TIMEOUT_S instead of a minute of the connector's retries
        "login_timeout": LOGIN_TIMEOUT_S,
        "network_timeout": NETWORK_TIMEOUT_S,
    }
    if conn.host:
        kwargs.update(host=conn.host, protocol=conn.protocol)
    if conn.port:
        kwargs["port"] = conn.port
    if conn.auth == "oidc":
        token = environ.get(ENV_OIDC_TOKEN, "").strip()
        if not token:
            raise missing_secret(ENV_OIDC_TOKEN, "a GitHub OIDC ID token (job permission `id-token: write`)")
        kwargs.update(authenticator="WORKLOAD_IDENTITY", workload_identity_provider="OIDC", token=token)
    else:
        kwargs.update(authenticator="SNOWFLAKE_JWT", private_key=load_private_key(environ))
    return kwargs
