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
from pipelineops.errors import UserError
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
        "login_timeout": 60,
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
