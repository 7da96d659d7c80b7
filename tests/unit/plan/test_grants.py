"""plan/grants.py: the shadow schema's twin of the consumer schema's grants (M3) and verify-grants (M2)."""

from __future__ import annotations

import pytest
from tests.sqlcheck.snowflake_check import check_snowflake_sql

from pipelineops.plan.grants import copy_statements, grant_gaps
from pipelineops.plan.sql import DUCKDB, SNOWFLAKE, Relation
from pipelineops.plan.sql import grants as gsql


def _on_schema(
    privilege: str, role: str, granted_to: str = "ROLE", option: str = "false"
) -> dict[str, object]:
    """One row of SHOW GRANTS ON SCHEMA as the engine returns it (lower-case column names)."""
    return {
        "created_on": "2026-01-01",
        "privilege": privilege,
        "granted_on": "SCHEMA",
        "name": "ANALYTICS.MARTS",
        "granted_to": granted_to,
        "grantee_name": role,
        "grant_option": option,
        "granted_by": "PROD_DEPLOYER",
    }


def _future(privilege: str, on: str, role: str, to: str = "ROLE") -> dict[str, object]:
    """One row of SHOW FUTURE GRANTS IN SCHEMA."""
    return {
        "privilege": privilege,
        "grant_on": on,
        "name": f"ANALYTICS.MARTS.<{on}>",
        "grant_to": to,
        "grantee_name": role,
        "grant_option": "false",
    }


def test_the_shadow_gets_the_consumer_schemas_own_grants_future_grants_and_managed_access() -> None:
    copied = copy_statements(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        source="MARTS",
        shadow="MARTS__NEXT",
        on_schema=[
            _on_schema("OWNERSHIP", "PROD_DEPLOYER"),  # the shadow is the deployer's already
            _on_schema("USAGE", "ANALYST"),
            _on_schema("CREATE VIEW", "MODELLER", option="true"),
            _on_schema("USAGE", "PARTNER", granted_to="SHARE"),
            _on_schema("USAGE", "lower_case"),
        ],
        future=[_future("SELECT", "VIEW", "BI_READER"), _future("SELECT", "STREAMLIT", "X")],
        schema_rows=[
            {"name": "MARTS", "options": "MANAGED ACCESS"},
            {"name": "MARTSX", "options": ""},  # LIKE matched a neighbour: ignored
        ],
    )
    assert copied.statements == (
        'ALTER SCHEMA "ANALYTICS"."MARTS__NEXT" ENABLE MANAGED ACCESS',
        'GRANT USAGE ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "ANALYST"',
        'GRANT CREATE VIEW ON SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "MODELLER" WITH GRANT OPTION',
        'GRANT SELECT ON FUTURE VIEWS IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "BI_READER"',
    )
    assert copied.skipped == (
        "USAGE on MARTS to SHARE PARTNER",
        "USAGE on MARTS to ROLE lower_case",
        "future SELECT on STREAMLIT in MARTS to ROLE X",
    )
    for stmt in copied.statements:
        check_snowflake_sql(stmt)


def test_a_schema_without_grants_of_its_own_copies_nothing() -> None:
    empty = copy_statements(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        source="MARTS",
        shadow="MARTS__NEXT",
        on_schema=[],
        future=[],
        schema_rows=[],
    )
    assert (empty.statements, empty.skipped) == ((), ())


def test_grant_gaps_name_missing_usage_and_missing_select() -> None:
    views = [Relation("ANALYTICS", "MARTS", "FCT_ORDERS"), Relation("ANALYTICS", "MARTS", "DIM_CUSTOMERS")]
    schema_rows = [
        _on_schema("OWNERSHIP", "PROD_DEPLOYER"),
        _on_schema("USAGE", "PROD_REPORTER"),
        _on_schema("MONITOR", "FINANCE_READER"),  # not USAGE
        _on_schema("USAGE", "FINANCE_READER", granted_to="SHARE"),  # a share, not the role
    ]
    select = {"privilege": "SELECT", "granted_on": "VIEW", "granted_to": "ROLE"}
    role_rows = {
        "PROD_REPORTER": [
            {**select, "name": "ANALYTICS.MARTS.FCT_ORDERS"},
            {**select, "name": '"ANALYTICS"."MARTS"."DIM_CUSTOMERS"'},
        ],
        "FINANCE_READER": [
            {**select, "name": "ANALYTICS.MARTS.FCT_ORDERS"},
            {**select, "granted_on": "TABLE", "name": "ANALYTICS.MARTS.DIM_CUSTOMERS"},
        ],
    }
    gaps = grant_gaps(
        schema_grants={"MARTS": schema_rows},
        role_grants=role_rows,
        reader_roles=("PROD_REPORTER", "FINANCE_READER"),
        views=views,
    )
    assert gaps == (
        "FINANCE_READER has no USAGE on MARTS",
        "FINANCE_READER has no SELECT on MARTS.DIM_CUSTOMERS",
    )
    owner = grant_gaps(
        schema_grants={"MARTS": schema_rows},
        role_grants={
            "PROD_DEPLOYER": [
                {"privilege": "OWNERSHIP", "granted_on": "VIEW", "name": n}
                for n in ("ANALYTICS.MARTS.FCT_ORDERS", "ANALYTICS.MARTS.DIM_CUSTOMERS")
            ]
        },
        reader_roles=("prod_deployer",),
        views=views,
    )
    assert owner == ()  # case-insensitive; the owner may read
    assert grant_gaps(schema_grants={}, role_grants={}, reader_roles=(), views=views) == ()


def test_grant_sql_refuses_the_local_engine_and_odd_privileges() -> None:
    with pytest.raises(ValueError, match=r"needs an engine with grants|has no schema"):
        gsql.clone_schema("A", "B", "C", DUCKDB)
    with pytest.raises(ValueError, match="not a privilege"):
        gsql.grant_on_schema("A", "B", "USAGE; DROP", "R", SNOWFLAKE)
    assert gsql.object_name(Relation("analytics", "marts", "v")) == "ANALYTICS.MARTS.V"
    assert gsql.show_grants_to_role("reporter", SNOWFLAKE) == 'SHOW GRANTS TO ROLE "REPORTER"'
    assert (
        gsql.show_schema("ANALYTICS", "marts", SNOWFLAKE)
        == "SHOW SCHEMAS LIKE 'MARTS' IN DATABASE \"ANALYTICS\""
    )


def test_a_future_grant_row_may_name_its_grantee_type_granted_to_and_miss_columns() -> None:
    row = {"privilege": "SELECT", "grant_on": "TABLE", "granted_to": "ROLE", "grantee_name": "BI_READER"}
    copied = copy_statements(
        dialect=SNOWFLAKE,
        database="ANALYTICS",
        source="MARTS",
        shadow="MARTS__NEXT",
        on_schema=[{"privilege": "USAGE"}],  # no grantee columns at all: reported, not copied
        future=[row],
        schema_rows=[{"name": "MARTS"}],
    )
    assert copied.statements == (
        'GRANT SELECT ON FUTURE TABLES IN SCHEMA "ANALYTICS"."MARTS__NEXT" TO ROLE "BI_READER"',
    )
    assert copied.skipped == ("USAGE on MARTS to  ",)
    assert gsql.show_future_grants_in_schema("A", "b", SNOWFLAKE) == 'SHOW FUTURE GRANTS IN SCHEMA "A"."B"'
