"""Paths and planted snippets shared by the tests of terraform/ (a uniquely named module: several
test folders have a conftest.py, so `from conftest import ...` is ambiguous in the whole suite)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"

REPORTER_WRITE_GRANT = """
resource "snowflake_grant_privileges_to_account_role" "reporter_write" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.reporter.name
  privileges        = ["SELECT", "INSERT"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_database        = snowflake_database.analytics.name
    }
  }
}
"""
