"""Live lane: the Snowflake engine and plan/sql against a real account.

Runs only when every ``PIPELINEOPS_TEST_SNOWFLAKE_*`` variable below is set (trusted events, an
environment-protected secret); otherwise the whole module is skipped with the list of missing variables.
Everything it creates lives in two uniquely named schemas that are dropped at the end.

Not yet the emulator lane's scenario list. The end-to-end scenarios of ``tests/e2e_snowflake/`` (deploys,
kills, rollbacks, restores, grants, cutover guarantee, refused statement points) are pytest functions over
the emulator's ``Lane`` (``tests/e2e_snowflake/conftest.py``), and some assertions read the shim's state
(``shim.kinds``, ``shim.grants``, ``shim.managed``) or inject faults (``shim.faults``, ``shim.queries``). To
run the same list here: (1) a ``Lane`` protocol (``cli``, ``ok``, ``killed``, ``query``, ``view_colours``,
``journal``, ``lock_holder``, plus ``table_kind`` and ``roles_with`` answered by ``SHOW TABLES`` / ``SHOW
GRANTS`` instead of the shim), implemented once for the emulator and once for a live account (a database
per scenario created and dropped by the test role, which needs CREATE DATABASE; dbt-snowflake profiles
with key-pair auth from ``PIPELINEOPS_TEST_SNOWFLAKE_PRIVATE_KEY``); (2) the scenario bodies moved into one
registry both lanes parametrise over, with the fault-injection scenarios (lost swap replies, swallowed
grants, a fabricated query history) marked emulator-only, because a real account cannot be made to lose a
reply on demand.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import pytest
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.config.model import SnowflakeConnection
from pipelineops.engines.base import first_value, iter_names
from pipelineops.engines.snowflake import SnowflakeEngine
from pipelineops.plan import sql
from pipelineops.plan.sql import SNOWFLAKE
from pipelineops.plan.sql.time_travel import PointInTime, count_at

PREFIX = "PIPELINEOPS_TEST_SNOWFLAKE_"
REQUIRED = ("ACCOUNT", "USER", "ROLE", "WAREHOUSE", "DATABASE", "PRIVATE_KEY")
MISSING = [PREFIX + name for name in REQUIRED if not os.environ.get(PREFIX + name)]
if MISSING:
    pytest.skip(
        "live Snowflake tests need "
        + ", ".join(PREFIX + n for n in REQUIRED)
        + f" (missing: {', '.join(MISSING)})",
        allow_module_level=True,
    )

pytestmark = pytest.mark.live
D: sql.Dialect = SNOWFLAKE


@pytest.fixture(scope="module")
def engine() -> Iterator[SnowflakeEngine]:
    env = os.environ
    environ = {"SNOWFLAKE_PRIVATE_KEY": env[PREFIX + "PRIVATE_KEY"]}
    if env.get(PREFIX + "PRIVATE_KEY_PASSPHRASE"):
        environ["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] = env[PREFIX + "PRIVATE_KEY_PASSPHRASE"]
    settings = SnowflakeConnection(
        account=env[PREFIX + "ACCOUNT"],
        user=env[PREFIX + "USER"],
        role=env[PREFIX + "ROLE"],
        warehouse=env[PREFIX + "WAREHOUSE"],
    )
    eng = SnowflakeEngine.connect(
        settings,
        database=env[PREFIX + "DATABASE"],
        environ=environ,
        query_tag={
            "repo": env.get("GITHUB_REPOSITORY", "local"),
            "run_id": env.get("GITHUB_RUN_ID", "0"),
            "stage": "live-test",
        },
    )
    yield eng
    eng.close()


def run(engine: SnowflakeEngine, statement: str) -> None:
    check_snowflake_sql(statement)
    engine.execute(statement)


def test_schema_view_swap_time_travel_and_drop(engine: SnowflakeEngine) -> None:
    db = engine.database
    tag = secrets.token_hex(4).upper()
    live, idle = f"PIPELINEOPS_LIVE_{tag}", f"PIPELINEOPS_LIVE_{tag}__NEXT"
    table = sql.Relation(db, idle, "ORDERS")
    view = sql.Relation(db, live, "ORDERS")
    try:
        run(engine, sql.create_schema(db, live, D))
        run(engine, sql.create_schema(db, idle, D))
        assert {live, idle} <= set(iter_names(engine.query(sql.list_schemas(db, D))))

        engine.execute(f"CREATE TABLE {table.sql(D)} (ID INT)")
        engine.execute(f"INSERT INTO {table.sql(D)} VALUES (1), (2), (3)")
        run(engine, sql.create_view(view, table, D))
        assert first_value(engine.query(sql.row_count(view, D))) == 3

        time.sleep(2)  # so that one second ago the table already held its rows
        engine.execute(f"DELETE FROM {table.sql(D)} WHERE ID = 3")
        past = count_at(table, PointInTime("offset", offset_s=-1), D)
        check_snowflake_sql(past)
        assert first_value(engine.query(past)) == 3
        assert first_value(engine.query(sql.row_count(table, D))) == 2

        run(engine, sql.swap_schema(db, live, idle, D))
        kinds_live = {str(r["name"]): r["kind"] for r in engine.query(sql.list_relations(db, live, D))}
        kinds_idle = {str(r["name"]): r["kind"] for r in engine.query(sql.list_relations(db, idle, D))}
        assert kinds_live == {"ORDERS": "TABLE"} and kinds_idle == {"ORDERS": "VIEW"}
    finally:
        for schema in (live, idle):
            run(engine, sql.drop_schema(db, schema, D))
    assert not {live, idle} & set(iter_names(engine.query(sql.list_schemas(db, D))))
