"""What each engine's environment section needs in pipelineops.yml, as data: the loader validates every
engine with the same rules, and a new engine is one entry here (CONTRIBUTING.md, "Adding an engine")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSection:
    block: str | None  # the connection block the environment must carry (`snowflake:`), None for none
    block_fields: str  # what the block holds, for the error that asks for it
    local: bool  # keeps its data on disk under `local_dir`
    default_database: str | None  # None: `database` is required
    database_example: str


ENGINE_SECTIONS: Mapping[str, EngineSection] = {
    "duckdb": EngineSection(
        block=None, block_fields="", local=True, default_database="lake", database_example="lake"
    ),
    "snowflake": EngineSection(
        block="snowflake",
        block_fields="account, user, role and warehouse",
        local=False,
        default_database=None,
        database_example="ANALYTICS",
    ),
}
