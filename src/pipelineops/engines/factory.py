"""Open the engine an environment is configured for."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pipelineops.config import EnvironmentConfig
from pipelineops.engines.base import Engine
from pipelineops.engines.duckdb import LocalEngine


def open_engine(env: EnvironmentConfig, *, environ: Mapping[str, str], query_tag: str) -> Engine:
    if env.engine == "duckdb":
        assert env.local_dir is not None
        return LocalEngine(env.local_dir, database=env.database)
    from pipelineops.engines.snowflake import SnowflakeEngine  # imported lazily: heavy connector

    assert env.snowflake is not None
    tag: dict[str, str] = json.loads(query_tag)
    return SnowflakeEngine.connect(env.snowflake, database=env.database, environ=environ, query_tag=tag)
