"""The registered dialects: one module per engine, one entry in ``DIALECTS`` (keyed by ``engine:``)."""

from __future__ import annotations

from collections.abc import Mapping

from pipelineops.plan.sql.dialect import Dialect
from pipelineops.plan.sql.dialects.duckdb import DUCKDB
from pipelineops.plan.sql.dialects.snowflake import SNOWFLAKE

DIALECTS: Mapping[str, Dialect] = {d.name: d for d in (DUCKDB, SNOWFLAKE)}


def dialect_for(name: str) -> Dialect:
    """The dialect registered under ``name`` (an environment's ``engine:``)."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"no dialect named {name!r} (registered: {', '.join(sorted(DIALECTS))})") from None


__all__ = ["DIALECTS", "DUCKDB", "SNOWFLAKE", "dialect_for"]
