"""The Snowflake engine running plan/sql statements on the fakesnow emulator (autocommit off, as we connect).

fakesnow cannot run SWAP, CLONE … AT, time travel, UNDROP, GRANT or read back QUERY_TAG; those are covered by
the golden SQL and the strict static check in tests/sqlcheck, and by tests/live.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.integration.snowflake.support import DATABASE

from pipelineops.engines.base import first_value, iter_names, run_statements
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.errors import PipelineOpsError
from pipelineops.plan import sql
from pipelineops.plan.sql import SNOWFLAKE

TABLE = sql.Relation(DATABASE, "MARTS__BLUE", "ORDERS")
VIEW = sql.Relation(DATABASE, "MARTS", "ORDERS")
D: sql.Dialect = SNOWFLAKE


def _seed(engine: SnowflakeEngine) -> None:
    engine.execute(sql.create_schema(DATABASE, "MARTS__BLUE", D))
    engine.execute(sql.create_schema(DATABASE, "MARTS", D))
    engine.execute(f"CREATE TABLE {TABLE.sql(D)} (ID INT, AMOUNT NUMBER(10, 2))")
    engine.execute(f"INSERT INTO {TABLE.sql(D)} VALUES (1, 9.5), (2, 3.0)")


def test_schemas_are_created_listed_and_dropped(engine: SnowflakeEngine) -> None:
    engine.execute(sql.create_schema(DATABASE, "CI_PR_42", D))
    engine.execute(sql.create_schema(DATABASE, "CI_PR_42", D))  # IF NOT EXISTS: idempotent
    rows = engine.query(sql.list_schemas(DATABASE, D))
    assert "CI_PR_42" in set(iter_names(rows))
    assert {"name", "created_on"} <= set(rows[0])  # SHOW columns come back lower-case
    engine.execute(sql.drop_schema(DATABASE, "CI_PR_42", D))
    engine.execute(sql.drop_schema(DATABASE, "CI_PR_42", D))  # IF EXISTS: idempotent
    assert "CI_PR_42" not in set(iter_names(engine.query(sql.list_schemas(DATABASE, D))))


def test_consumer_view_with_copy_grants_is_created_listed_read_and_dropped(engine: SnowflakeEngine) -> None:
    _seed(engine)
    engine.execute(sql.create_view(VIEW, TABLE, D))  # fakesnow accepts COPY GRANTS (and ignores it)
    engine.execute(sql.create_view(VIEW, TABLE, D))  # OR REPLACE
    kinds = {str(r["name"]): r["kind"] for r in engine.query(sql.list_relations(DATABASE, "MARTS", D))}
    assert kinds == {"ORDERS": "VIEW"}
    defs = engine.query(sql.view_definitions(DATABASE, "MARTS", D))
    assert [d["name"] for d in defs] == ["ORDERS"] and "MARTS__BLUE" in str(defs[0]["sql"])
    assert first_value(engine.query(sql.row_count(VIEW, D))) == 2
    cols = engine.query(sql.columns_of(TABLE, D))
    assert [c["name"] for c in cols] == ["ID", "AMOUNT"]
    engine.execute(sql.drop_view(VIEW, D))
    assert engine.query(sql.list_relations(DATABASE, "MARTS", D)) == []


def test_copy_table_clones_without_time_travel(engine: SnowflakeEngine) -> None:
    _seed(engine)
    copy = sql.Relation(DATABASE, "MARTS__BLUE", "ORDERS_COPY")
    engine.execute(sql.copy_table(copy, TABLE, D))
    assert first_value(engine.query(sql.row_count(copy, D))) == 2


def test_transaction_commits_dml_for_other_sessions(open_engine: Callable[[], SnowflakeEngine]) -> None:
    writer, reader = open_engine(), open_engine()
    _seed(writer)
    with writer.transaction():
        assert writer.execute(f"INSERT INTO {TABLE.sql(D)} VALUES (3, 1.0)") == 1
        writer.execute(f"DELETE FROM {TABLE.sql(D)} WHERE ID = 1")
    assert first_value(reader.query(sql.row_count(TABLE, D))) == 2
    assert sorted(int(str(r["id"])) for r in reader.query(f"SELECT ID FROM {TABLE.sql(D)}")) == [2, 3]


def test_transaction_rolls_back_dml_when_the_body_fails(engine: SnowflakeEngine) -> None:
    _seed(engine)
    with pytest.raises(RuntimeError), engine.transaction():
        engine.execute(f"INSERT INTO {TABLE.sql(D)} VALUES (3, 1.0)")
        raise RuntimeError("step failed")
    assert first_value(engine.query(sql.row_count(TABLE, D))) == 2
    # the engine is usable again, and run_statements' transactional path commits
    run_statements(engine, (f"INSERT INTO {TABLE.sql(D)} VALUES (4, 2.0)",), transactional=True)
    assert first_value(engine.query(sql.row_count(TABLE, D))) == 3


def test_ddl_inside_a_transaction_commits_on_its_own_as_on_snowflake(engine: SnowflakeEngine) -> None:
    _seed(engine)
    with pytest.raises(RuntimeError), engine.transaction():
        engine.execute(sql.create_schema(DATABASE, "MARTS__GREEN", D))
        raise RuntimeError("after DDL")
    assert "MARTS__GREEN" in set(iter_names(engine.query(sql.list_schemas(DATABASE, D))))


def test_execute_outside_a_transaction_is_committed_at_once(
    open_engine: Callable[[], SnowflakeEngine],
) -> None:
    writer, reader = open_engine(), open_engine()
    _seed(writer)
    writer.execute(f"UPDATE {TABLE.sql(D)} SET AMOUNT = 0")
    assert reader.query(f"SELECT SUM(AMOUNT) AS total FROM {TABLE.sql(D)}") == [{"total": 0}]


def test_nested_transactions_are_refused(engine: SnowflakeEngine) -> None:
    with (
        engine.transaction(),
        pytest.raises(PipelineOpsError, match="nested transaction"),
        engine.transaction(),
    ):
        pass  # pragma: no cover - never reached


def test_each_statement_records_its_query_id(engine: SnowflakeEngine) -> None:
    engine.query("SELECT 1")
    first = engine.last_query_id
    engine.query("SELECT 2")
    assert first and engine.last_query_id and first != engine.last_query_id
