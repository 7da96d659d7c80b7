"""The semantics shim refuses what Snowflake refuses and keeps what Snowflake keeps (shim.py cites the
documentation of each rule). Through the connector and fakesnow's server, like the rest of the lane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from snowflake.connector.errors import ProgrammingError

pytestmark = [pytest.mark.snowflake_e2e]
DB = "LANE_SHIM"


@pytest.fixture
def cur(server: dict[str, Any]) -> Iterator[Any]:
    conn = server_connection(server)
    cursor = conn.cursor()
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {DB}.MARTS__BLUE")
    cursor.execute(f"CREATE OR REPLACE TRANSIENT TABLE {DB}.MARTS__BLUE.T (ID INT)")
    cursor.execute(f"INSERT INTO {DB}.MARTS__BLUE.T VALUES (1), (2)")
    yield cursor
    cursor.execute(f"DROP SCHEMA IF EXISTS {DB}.MARTS__BLUE CASCADE")
    conn.close()


def server_connection(server: dict[str, Any]) -> Any:
    import snowflake.connector

    return snowflake.connector.connect(**server, database=DB)


def _errno(cur: Any, sql: str) -> int:
    with pytest.raises(ProgrammingError) as info:
        cur.execute(sql)
    return int(info.value.errno or 0)


def test_a_transient_table_clones_only_into_a_transient_one(cur: Any) -> None:
    assert _errno(cur, f"CREATE TABLE {DB}.MARTS__BLUE.C CLONE {DB}.MARTS__BLUE.T") == 2120
    cur.execute(f"CREATE TRANSIENT TABLE {DB}.MARTS__BLUE.C CLONE {DB}.MARTS__BLUE.T")
    cur.execute(f"SHOW TABLES LIKE 'C' IN SCHEMA {DB}.MARTS__BLUE")
    assert [r[2] for r in cur.fetchall()] == ["TRANSIENT"]


def test_time_travel_reads_kept_versions_and_refuses_before_creation(cur: Any) -> None:
    cur.execute("SELECT CURRENT_TIMESTAMP()")
    cur.execute(f"DELETE FROM {DB}.MARTS__BLUE.T WHERE ID = 1")
    clone = f"CREATE TRANSIENT TABLE {DB}.MARTS__BLUE.PAST CLONE {DB}.MARTS__BLUE.T AT (OFFSET => -3600)"
    assert _errno(cur, clone) == 707  # an hour ago the table did not exist
    assert _errno(
        cur, f"CREATE TRANSIENT TABLE {DB}.MARTS__BLUE.P CLONE {DB}.MARTS__BLUE.T BEFORE (STATEMENT => 'x')"
    )


def test_undrop_needs_the_name_free_and_brings_back_the_dropped_rows(cur: Any) -> None:
    assert _errno(cur, f"UNDROP TABLE {DB}.MARTS__BLUE.T") == 2002
    cur.execute(
        f"CREATE OR REPLACE TRANSIENT TABLE {DB}.MARTS__BLUE.T (ID INT)"
    )  # empty; the old one dropped
    cur.execute(f"ALTER TABLE {DB}.MARTS__BLUE.T RENAME TO {DB}.MARTS__BLUE.NEW")
    cur.execute(f"UNDROP TABLE {DB}.MARTS__BLUE.T")
    cur.execute(f"SELECT COUNT(*) FROM {DB}.MARTS__BLUE.T")
    assert cur.fetchall() == [(2,)]
    assert _errno(cur, f"UNDROP TABLE {DB}.MARTS__BLUE.NOTHING") == 2003


def test_schema_swap_moves_objects_and_grants(cur: Any, shim: Any) -> None:
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {DB}.S1")
    cur.execute(f"CREATE OR REPLACE SCHEMA {DB}.S2")
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.S2.V AS SELECT * FROM {DB}.MARTS__BLUE.T")
    cur.execute(f'GRANT USAGE ON SCHEMA "{DB}"."S2" TO ROLE "REPORTER"')
    cur.execute(f'GRANT SELECT ON ALL VIEWS IN SCHEMA "{DB}"."S2" TO ROLE "REPORTER"')
    cur.execute(f'ALTER SCHEMA "{DB}"."S1" SWAP WITH "{DB}"."S2"')
    cur.execute(f"SELECT COUNT(*) FROM {DB}.S1.V")
    assert cur.fetchall() == [(2,)]
    cur.execute(f'SHOW GRANTS ON SCHEMA "{DB}"."S1"')
    assert ("USAGE", "REPORTER") in {(r[0], r[4]) for r in cur.fetchall()}
    assert shim.roles_with("SELECT", "VIEW", (DB, "S1", "V")) == {"REPORTER"}
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.S1.V AS SELECT 1 AS ID")  # no COPY GRANTS: SELECT is gone
    assert shim.roles_with("SELECT", "VIEW", (DB, "S1", "V")) == set()
    assert _errno(cur, f'ALTER SCHEMA "{DB}"."S1" SWAP WITH "{DB}"."MISSING"') == 2003


def test_a_quoted_lower_case_name_is_another_object(cur: Any) -> None:
    cur.execute(f"SELECT COUNT(*) FROM {DB}.MARTS__BLUE.t")  # unquoted: resolved upper-case
    assert _errno(cur, f'SELECT COUNT(*) FROM "{DB}"."MARTS__BLUE"."t"') == 2003
