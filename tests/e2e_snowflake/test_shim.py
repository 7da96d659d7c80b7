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
    cur.execute(f'SHOW GRANTS ON VIEW "{DB}"."S1"."V"')
    assert {(r[0], r[4]) for r in cur.fetchall()} == {("OWNERSHIP", "DEPLOYER"), ("SELECT", "REPORTER")}
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.S1.V AS SELECT 1 AS ID")  # no COPY GRANTS: SELECT is gone
    assert shim.roles_with("SELECT", "VIEW", (DB, "S1", "V")) == set()
    assert _errno(cur, f"SHOW GRANTS ON VIEW {DB}.S1.NOTHING") == 2003
    assert _errno(cur, f'ALTER SCHEMA "{DB}"."S1" SWAP WITH "{DB}"."MISSING"') == 2003


def test_a_quoted_lower_case_name_is_another_object(cur: Any) -> None:
    cur.execute(f"SELECT COUNT(*) FROM {DB}.MARTS__BLUE.t")  # unquoted: resolved upper-case
    assert _errno(cur, f'SELECT COUNT(*) FROM "{DB}"."MARTS__BLUE"."t"') == 2003


def test_a_schema_clone_keeps_the_grants_on_its_objects_not_on_itself(cur: Any, shim: Any) -> None:
    cur.execute(f"CREATE OR REPLACE SCHEMA {DB}.C1")
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.C1.V AS SELECT * FROM {DB}.MARTS__BLUE.T")
    cur.execute(f'GRANT USAGE ON SCHEMA "{DB}"."C1" TO ROLE "ANALYST" WITH GRANT OPTION')
    cur.execute(f'GRANT SELECT ON FUTURE VIEWS IN SCHEMA "{DB}"."C1" TO ROLE "ANALYST"')
    cur.execute(f'GRANT SELECT ON VIEW "{DB}"."C1"."V" TO ROLE "AUDITOR"')
    cur.execute(f'ALTER SCHEMA "{DB}"."C1" ENABLE MANAGED ACCESS')
    cur.execute(f'CREATE OR REPLACE SCHEMA "{DB}"."C2" CLONE "{DB}"."C1"')
    cur.execute(f"SELECT COUNT(*) FROM {DB}.C2.V")
    assert cur.fetchall() == [(2,)]
    assert shim.roles_with("SELECT", "VIEW", (DB, "C2", "V")) == {"AUDITOR"}
    assert shim.roles_with("USAGE", "SCHEMA", (DB, "C2", "")) == set()
    cur.execute(f'SHOW FUTURE GRANTS IN SCHEMA "{DB}"."C2"')
    assert cur.fetchall() == []
    cur.execute(f'SHOW FUTURE GRANTS IN SCHEMA "{DB}"."C1"')
    assert [(r[0], r[1], r[4]) for r in cur.fetchall()] == [("SELECT", "VIEW", "ANALYST")]
    cur.execute(f"SHOW SCHEMAS LIKE 'C_' IN DATABASE \"{DB}\"")
    assert sorted((r[0], r[2]) for r in cur.fetchall()) == [("C1", "MANAGED ACCESS"), ("C2", "")]
    cur.execute('SHOW GRANTS TO ROLE "AUDITOR"')
    assert {(r[0], r[1], r[2]) for r in cur.fetchall()} == {
        ("SELECT", "VIEW", f"{DB}.C1.V"),
        ("SELECT", "VIEW", f"{DB}.C2.V"),
    }
    # a new view inherits the future grant; a view replaced WITH COPY GRANTS keeps its grants only
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.C1.W AS SELECT 1 AS ID")
    assert shim.roles_with("SELECT", "VIEW", (DB, "C1", "W")) == {"ANALYST"}
    cur.execute(f"CREATE OR REPLACE VIEW {DB}.C1.V COPY GRANTS AS SELECT 1 AS ID")
    assert shim.roles_with("SELECT", "VIEW", (DB, "C1", "V")) == {"AUDITOR"}


def test_injected_faults_and_the_query_history(cur: Any, shim: Any) -> None:
    from datetime import UTC, datetime

    from tests.e2e_snowflake.shim import Fault

    shim.faults.append(Fault(r"^CREATE SCHEMA .*\bF1$", "after"))
    assert _errno(cur, f"CREATE SCHEMA {DB}.F1") == 2000
    cur.execute(f"SHOW SCHEMAS LIKE 'F1' IN DATABASE \"{DB}\"")
    assert [r[0] for r in cur.fetchall()] == ["F1"]  # it happened; only the reply was lost
    shim.queries["01b2c3d4-0000-1111-0000-0000000000aa"] = ("DELETE", datetime(2026, 1, 1, tzinfo=UTC))
    history = f'TABLE("{DB}".information_schema.query_history(RESULT_LIMIT => 10000)) WHERE query_id = '
    cur.execute(
        f"SELECT query_id, query_type, start_time FROM {history}'01b2c3d4-0000-1111-0000-0000000000aa'"
    )
    assert [r[1] for r in cur.fetchall()] == ["DELETE"]
    cur.execute(f"SELECT query_id, query_type, start_time FROM {history}'nothing'")
    assert cur.fetchall() == []
