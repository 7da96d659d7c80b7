"""Open the engine an environment is configured for: one opener per engine in ``OPENERS``."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipelineops.config import EnvironmentConfig
from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.base import Engine
from pipelineops.engines.duckdb import LocalEngine, local_paths
from pipelineops.engines.snowflake_auth import is_unreachable, unreachable


def open_engine(
    env: EnvironmentConfig, *, environ: Mapping[str, str], query_tag: str, create: bool = True
) -> Engine:
    """The environment's engine. With ``create=False`` (dry runs, read-only stages) a local warehouse that
    does not exist yet is not created: the engine reads an empty scratch warehouse, removed at exit."""
    return OPENERS[env.engine](env, environ, query_tag, create)


def _open_duckdb(env: EnvironmentConfig, environ: Mapping[str, str], query_tag: str, create: bool) -> Engine:
    assert env.local_dir is not None
    catalog, _, extensions = local_paths(env.local_dir)
    if not create and not catalog.exists():
        scratch = Path(tempfile.mkdtemp(prefix="pipelineops-dry-run-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        return LocalEngine(scratch / env.name, database=env.database, extension_dir=extensions)
    return LocalEngine(env.local_dir, database=env.database)


def _open_snowflake(
    env: EnvironmentConfig, environ: Mapping[str, str], query_tag: str, create: bool
) -> Engine:
    from pipelineops.engines.snowflake import SnowflakeEngine  # imported lazily: heavy connector

    assert env.snowflake is not None
    tag: dict[str, str] = json.loads(query_tag)
    return SnowflakeEngine.connect(
        env.snowflake,
        database=env.database,
        environ=environ,
        query_tag=tag,
        connect_fn=reaching(env.snowflake),
    )


Opener = Callable[[EnvironmentConfig, Mapping[str, str], str, bool], Engine]
#: one entry per engine, keyed like ``plan.sql.DIALECTS`` (an environment's ``engine:``)
OPENERS: Mapping[str, Opener] = {"duckdb": _open_duckdb, "snowflake": _open_snowflake}


def reaching(conn: SnowflakeConnection) -> Callable[..., Any]:
    """``snowflake.connector.connect`` whose network failures are outages (exit 3, "cannot reach <host>"),
    raised at once rather than retried as transient errors, and never mistaken for a refused login."""
    import snowflake.connector

    def connect(**kwargs: Any) -> Any:
        try:
            return snowflake.connector.connect(**kwargs)
        except snowflake.connector.errors.Error as exc:
            if is_unreachable(exc):
                raise unreachable(conn, exc) from None
            raise

    return connect
