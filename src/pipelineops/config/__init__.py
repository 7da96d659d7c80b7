"""``pipelineops.yml``: typed model, loader and JSON Schema."""

from __future__ import annotations

from pipelineops.config.load import load_config, parse_config
from pipelineops.config.model import (
    ChecksConfig,
    Config,
    EnvironmentConfig,
    EnvName,
    SnowflakeConnection,
)

__all__ = [
    "ChecksConfig",
    "Config",
    "EnvName",
    "EnvironmentConfig",
    "SnowflakeConnection",
    "load_config",
    "parse_config",
]
