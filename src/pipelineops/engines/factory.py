"""Open the engine an environment is configured for, and say where its data lives: one entry per engine
in ``ENGINES``, the only place that knows the engines by name (next to ``plan.sql.DIALECTS``)."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    return ENGINES[env.engine].open(env, environ, query_tag, create)


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


@dataclass(frozen=True)
class Warehouse:
    """Where an environment's data lives, from its configuration alone (nothing is opened)."""

    key: str  #: equal for two environments on one warehouse
    label: str  #: for reports, e.g. ``local warehouse <dir>``
    #: the fix that puts another environment on this warehouse; ``{env}``: that environment, ``{of}``: this one
    share_fix: str
    #: a catalog file that must exist before a read-only stage reads the warehouse (None: nothing local)
    local_catalog: Path | None


def _duckdb_warehouse(env: EnvironmentConfig) -> Warehouse:
    assert env.local_dir is not None
    return Warehouse(
        key=str(env.local_dir),
        label=f"local warehouse {env.local_dir}",
        share_fix=f"set environments.{{env}}.local_dir to {{of}}'s ({env.local_dir})",
        local_catalog=local_paths(env.local_dir)[0],
    )


def _snowflake_warehouse(env: EnvironmentConfig) -> Warehouse:
    assert env.snowflake is not None
    return Warehouse(
        key=f"snowflake account {env.snowflake.account.lower()}",
        label=f"Snowflake {env.snowflake.account}, database {env.database}",
        share_fix="give environments.{env} the Snowflake account of {of}",
        local_catalog=None,
    )


def warehouse(env: EnvironmentConfig) -> Warehouse:
    """Where ``env``'s data lives (its engine's entry in ``ENGINES``)."""
    return ENGINES[env.engine].warehouse(env)


Opener = Callable[[EnvironmentConfig, Mapping[str, str], str, bool], Engine]


@dataclass(frozen=True)
class EngineEntry:
    open: Opener
    warehouse: Callable[[EnvironmentConfig], Warehouse]


#: one entry per engine, keyed like ``plan.sql.DIALECTS`` (an environment's ``engine:``)
ENGINES: Mapping[str, EngineEntry] = {
    "duckdb": EngineEntry(_open_duckdb, _duckdb_warehouse),
    "snowflake": EngineEntry(_open_snowflake, _snowflake_warehouse),
}


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
