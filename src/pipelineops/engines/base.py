"""The engine interface: run SQL on one warehouse. Engines render nothing; SQL comes from plan/sql."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from pipelineops.plan.sql import Dialect

Row = Mapping[str, object]


class Engine(Protocol):
    """One open session on one warehouse.

    ``query`` is read-only and may be retried on transient errors; ``execute`` runs one statement once and
    is never retried. ``transaction`` groups statements (on Snowflake, DDL still commits on its own: plans
    never rely on a transaction there for DDL). ``close`` ends the session. ``release_for_dbt`` is called
    before every dbt invocation: an engine whose warehouse admits one process at a time (the local engine)
    lets go of it and reopens on its next statement; a shared warehouse (Snowflake) keeps its session, so
    the journal rows and the lock release after dbt run on the same session.
    """

    dialect: Dialect
    database: str

    def query(self, sql: str) -> list[Row]: ...

    def execute(self, sql: str) -> int: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...

    def release_for_dbt(self) -> None: ...

    def dbt_env(self) -> dict[str, str]:
        """Environment variables dbt needs to reach the same warehouse (no secrets are added here)."""
        ...


def run_statements(engine: Engine, statements: tuple[str, ...], *, transactional: bool) -> None:
    """Run statements in order, inside one transaction when asked."""
    if transactional:
        with engine.transaction():
            for stmt in statements:
                engine.execute(stmt)
    else:
        for stmt in statements:
            engine.execute(stmt)


def first_value(rows: list[Row]) -> object:
    """The first column of the first row (e.g. ``SELECT COUNT(*)``)."""
    if not rows:
        return None
    return next(iter(rows[0].values()))


def iter_names(rows: list[Row], column: str = "name") -> Iterator[str]:
    """Names from a listing, whatever case the engine gives the column."""
    for row in rows:
        for key, value in row.items():
            if key.lower() == column:
                yield str(value)
                break
