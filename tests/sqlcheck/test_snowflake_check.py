"""The strict Snowflake SQL check accepts the forms we emit and rejects planted mistakes."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp
from tests.sqlcheck.snowflake_check import check_snowflake_sql

GOOD = [
    'CREATE SCHEMA IF NOT EXISTS "DB"."CI_PR_42"',
    'DROP SCHEMA IF EXISTS "DB"."CI_PR_42" CASCADE',
    'SHOW TERSE SCHEMAS IN DATABASE "DB"',
    "SHOW TERSE SCHEMAS LIKE 'CI\\\\_PR\\\\_%' IN DATABASE \"DB\"",
    'SHOW TERSE OBJECTS IN SCHEMA "DB"."MARTS"',
    'SHOW GRANTS ON SCHEMA "DB"."MARTS"',
    'SHOW FUTURE GRANTS IN SCHEMA "DB"."MARTS"',
    'ALTER SCHEMA "DB"."MARTS__NEXT" SWAP WITH "DB"."MARTS"',
    'ALTER SCHEMA "DB"."MARTS" RENAME TO "DB"."MARTS__OLD"',
    'ALTER TABLE "DB"."S"."ORDERS" SWAP WITH "DB"."S"."ORDERS__RESTORED"',
    'UNDROP TABLE "DB"."S"."ORDERS"',
    'UNDROP SCHEMA "DB"."MARTS__BLUE"',
    'GRANT SELECT ON ALL VIEWS IN SCHEMA "DB"."MARTS" TO ROLE "REPORTER"',
    'GRANT USAGE ON SCHEMA "DB"."MARTS__NEXT" TO ROLE "REPORTER"',
    'GRANT SELECT ON FUTURE TABLES IN SCHEMA "DB"."MARTS__BLUE" TO ROLE "REPORTER"',
    'GRANT OWNERSHIP ON ALL TABLES IN SCHEMA "DB"."S" TO ROLE "DEPLOYER" COPY CURRENT GRANTS',
    'CREATE ROLE IF NOT EXISTS "REPORTER"',
    'CREATE OR REPLACE VIEW "DB"."MARTS"."ORDERS" COPY GRANTS AS SELECT * FROM "DB"."MARTS__BLUE"."ORDERS"',
    'CREATE OR REPLACE TABLE "DB"."S"."T" CLONE "DB"."S"."T" '
    "AT (TIMESTAMP => CAST('2026-01-02 03:04:05.000000+00:00' AS TIMESTAMP_TZ))",
    'CREATE OR REPLACE TABLE "DB"."S"."T_RESTORED" CLONE "DB"."S"."T" BEFORE (STATEMENT => \'01b2c3d4-0000-abcd\')',
    'CREATE OR REPLACE TABLE "DB"."S"."T_RESTORED" CLONE "DB"."S"."T" AT (OFFSET => -60)',
    'SELECT COUNT(*) AS n FROM "DB"."S"."T" AT (OFFSET => -60)',
    'SELECT table_name AS name, view_definition AS sql FROM "DB".information_schema.views '
    "WHERE table_schema = 'MARTS' ORDER BY 1",
    "WITH latest AS (SELECT 1 AS v) SELECT v FROM latest",
    'SELECT COUNT(*) AS n FROM "DB"."S"."T";',
]

BAD = {
    "undrop-typo": ('UNDROP TABEL "DB"."S"."T"', "UNDROP"),
    "swap-typo": ('ALTER SCHEMA "DB"."A" SWAP WTIH "DB"."B"', "ALTER SCHEMA"),
    "grant-typo": ('GRANT SELCT ON ALL VIEWS IN SCHEMA "DB"."S" TO ROLE "REPORTER"', "GRANT"),
    "grant-schema-typo": ('GRANT SELCT ON SCHEMA "DB"."S" TO ROLE "REPORTER"', "GRANT"),
    "grant-usage-typo": ('GRANT USGE ON SCHEMA "DB"."S" TO ROLE "REPORTER"', "GRANT"),
    "grant-schema-unquoted-role": ('GRANT USAGE ON SCHEMA "DB"."S" TO ROLE reporter', "GRANT"),
    "grant-unquoted-role": ('GRANT SELECT ON ALL VIEWS IN SCHEMA "DB"."S" TO ROLE reporter', "GRANT"),
    "swap-unquoted-space": ('ALTER SCHEMA "DB"."A" SWAP WITH "DB".my schema', "ALTER SCHEMA"),
    "create-unquoted-space": ('CREATE SCHEMA IF NOT EXISTS "DB".my schema', "Command"),
    "select-unquoted-space": ("SELECT * FROM my table", "quoted upper-case identifier"),
    "view-lower-case-quoted": ('CREATE OR REPLACE VIEW "DB"."s"."V" AS SELECT 1 AS x', "quoted upper-case"),
    "two-commands": ('ALTER SCHEMA "DB"."A" SWAP WITH "DB"."B"; DROP SCHEMA "DB"."C"', "exactly one"),
    "two-selects": ("SELECT 1; SELECT 2", "exactly one"),
    "two-undrops": ('UNDROP TABLE "DB"."S"."T"; UNDROP TABLE "DB"."S"."U"', "exactly one"),
    "create-role-typo": ('CREATE ROLE IF NOT EXIST "R"', "CREATE ROLE"),
    "show-typo": ('SHOW TERSE SCHEMAZ IN DATABASE "DB"', "SHOW"),
    "table-swap-typo": ('ALTER TABLE "DB"."S"."A" SWAP WTIH "DB"."S"."B"', "ALTER TABLE"),
    "unknown-command": ('ALTER WAREHOUSE "WH" SUSPEND', "opaque Command"),
    "not-sql": ("SELEC 1", "cannot parse"),
    "empty": ("  ; ", "empty"),
}


@pytest.mark.parametrize("text", GOOD)
def test_good_forms_pass(text: str) -> None:
    check_snowflake_sql(text)


@pytest.mark.parametrize(("text", "message"), list(BAD.values()), ids=list(BAD))
def test_planted_mistakes_fail(text: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_snowflake_sql(text)


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ('ALTER SCHEMA "DB"."A" SWAP WITH "DB"."B"', exp.Command),
        ('ALTER SCHEMA "DB"."A" RENAME TO "DB"."B"', exp.Command),
        ('GRANT SELECT ON ALL VIEWS IN SCHEMA "DB"."S" TO ROLE "R"', exp.Command),
        ('GRANT USGE ON SCHEMA "DB"."S" TO ROLE "R"', exp.Grant),
        ('CREATE ROLE IF NOT EXISTS "R"', exp.Command),
        ('UNDROP TABEL "DB"."S"."T"', exp.Command),
        ('ALTER TABLE "DB"."S"."A" SWAP WITH "DB"."S"."B"', exp.Alter),
        ('UNDROP TABLE "DB"."S"."T"', exp.Undrop),
        ('SHOW TERSE SCHEMAS IN DATABASE "DB"', exp.Show),
        ('CREATE OR REPLACE TABLE "DB"."S"."T" CLONE "DB"."S"."U" AT (OFFSET => -60)', exp.Create),
        ('CREATE OR REPLACE VIEW "DB"."S"."V" COPY GRANTS AS SELECT * FROM "DB"."S"."T"', exp.Create),
    ],
)
def test_what_sqlglot_makes_of_each_form(text: str, node: type[exp.Expression]) -> None:
    """Records sqlglot's behaviour the check is built on; a change here means revisiting FORMS."""
    assert type(sqlglot.parse_one(text, read="snowflake")) is node
