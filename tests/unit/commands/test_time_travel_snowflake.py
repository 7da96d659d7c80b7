"""The Snowflake side of time travel decides from SHOW TABLES before acting (no emulator supports it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from pipelineops.commands.time_travel import _snowflake_verdict, point_in_time
from pipelineops.errors import UserError
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Relation
from pipelineops.plan.sql.time_travel import PointInTime

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TABLE = Relation("ANALYTICS", "MARTS__BLUE", "fct_orders")


@dataclass
class ShowTablesEngine:
    """Answers SHOW TABLES like Snowflake (lower-case keys), records every statement it is given."""

    rows: list[dict[str, object]]
    dialect: object = SNOWFLAKE
    database: str = "ANALYTICS"
    seen: list[str] = field(default_factory=list)

    def query(self, sql: str) -> list[dict[str, object]]:
        self.seen.append(sql)
        assert sql.startswith('SHOW TABLES LIKE \'FCT_ORDERS\' IN SCHEMA "ANALYTICS"."MARTS__BLUE"')
        return self.rows

    def execute(self, sql: str) -> int:  # pragma: no cover - deciding must not write
        raise AssertionError(f"unexpected write: {sql}")

    @contextmanager
    def transaction(self) -> Iterator[None]:  # pragma: no cover
        yield


def runtime(rows: list[dict[str, object]]) -> SimpleNamespace:
    return SimpleNamespace(engine=ShowTablesEngine(rows), ctx=SimpleNamespace(clock=lambda: NOW))


def row(**over: object) -> dict[str, object]:
    return {
        "name": "FCT_ORDERS",
        "kind": "TABLE",
        "retention_time": "7",
        "created_on": NOW - timedelta(days=30),
        **over,
    }


def test_permanent_table_within_retention_is_restored_directly() -> None:
    v = _snowflake_verdict(runtime([row()]), TABLE, PointInTime("offset", offset_s=-3600))
    assert v.route == "direct"


def test_transient_table_two_days_back_is_impossible() -> None:
    v = _snowflake_verdict(
        runtime([row(kind="TRANSIENT")]), TABLE, PointInTime("timestamp", timestamp=NOW - timedelta(days=2))
    )
    assert not v.possible and "transient" in v.reasons[0]


def test_table_recreated_after_the_point_takes_the_undrop_route() -> None:
    v = _snowflake_verdict(
        runtime([row(created_on=NOW - timedelta(hours=1))]),
        TABLE,
        PointInTime("timestamp", timestamp=NOW - timedelta(hours=3)),
    )
    assert v.route == "undrop"


def test_missing_table_is_a_user_error() -> None:
    with pytest.raises(UserError, match="not found by SHOW TABLES"):
        _snowflake_verdict(runtime([row(name="OTHER")]), TABLE, PointInTime("offset", offset_s=-60))


@pytest.mark.parametrize(
    ("dialect", "given", "what", "fix"),
    [
        (
            SNOWFLAKE,
            {"to_version": 3},
            "--to-version needs snapshot versions",
            "--at or --offset or --before-statement",
        ),
        (DUCKDB, {"before_statement": "q"}, "--before-statement needs query ids", "--to-version or --at"),
    ],
)
def test_a_point_the_engine_cannot_read_is_refused_with_the_points_it_can(
    dialect: object, given: dict[str, object], what: str, fix: str
) -> None:
    rt = runtime([])
    rt.engine.dialect = dialect
    args: dict[str, object] = {
        "at": None,
        "offset": None,
        "before_statement": None,
        "to_version": None,
        "to_deploy": None,
    }
    with pytest.raises(UserError) as err:
        point_in_time(rt, [], **{**args, **given})  # type: ignore[arg-type]
    assert err.value.what.startswith(what)
    assert err.value.fix.endswith(fix)


def test_an_offset_is_a_timestamp_where_the_engine_reads_no_offsets() -> None:
    rt = runtime([])
    rt.engine.dialect = DUCKDB
    point = point_in_time(rt, [], at=None, offset=-60, before_statement=None, to_version=None, to_deploy=None)  # type: ignore[arg-type]
    assert point == PointInTime("timestamp", timestamp=NOW - timedelta(seconds=60))
