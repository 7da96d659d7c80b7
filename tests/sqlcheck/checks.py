"""The static check of each registered dialect's SQL, by dialect name (``plan.sql.DIALECTS``)."""

from __future__ import annotations

from collections.abc import Callable

from tests.sqlcheck.duckdb_check import check_duckdb_sql
from tests.sqlcheck.snowflake_check import check_snowflake_sql

STATIC_CHECKS: dict[str, Callable[[str], None]] = {
    "duckdb": check_duckdb_sql,
    "snowflake": check_snowflake_sql,
}
