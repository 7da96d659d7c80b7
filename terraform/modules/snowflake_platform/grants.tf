# Privilege grants: one block per row of terraform/spec/access.yml (tests/terraform asserts they match).
# All grants go through the SECURITYADMIN alias: database-level future grants need MANAGE GRANTS.
#
# Blue/green and grants: ALTER SCHEMA ... SWAP WITH moves every object together with its grants, and
# schema-level future grants only apply to objects created later in that schema object. REPORTER's
# SELECT is therefore a database-level future grant on VIEWS in ANALYTICS: every view the deployer
# creates in a shadow schema gets it at creation and keeps it through the swap. REPORTER can use only
# schemas it has USAGE on; the deployer grants USAGE on each consumer (shadow) schema before the swap
# and verifies it after, so REPORTER never reaches the colour or CI_PR_<n> schemas.
# No schema-level future grants on VIEWS exist in ANALYTICS: they would take precedence over the
# database-level ones for that schema.


resource "snowflake_grant_privileges_to_account_role" "loader_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.loading.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE", "CREATE SCHEMA"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.raw.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_future_schemas" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE", "CREATE TABLE", "CREATE STAGE"]

  on_schema {
    future_schemas_in_database = snowflake_database.raw.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_database        = snowflake_database.raw.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.transforming.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.raw.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_future_schemas" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]

  on_schema {
    future_schemas_in_database = snowflake_database.raw.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_database        = snowflake_database.raw.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_future_views" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "VIEWS"
      in_database        = snowflake_database.raw.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE", "CREATE SCHEMA"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.reporter.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.reporting.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.reporter.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_analytics_future_views" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.reporter.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "VIEWS"
      in_database        = snowflake_database.analytics.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.deployer.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.ci.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.deployer.name
  privileges        = ["USAGE", "CREATE SCHEMA"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "deployer_pipelineops_schema" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.deployer.name
  privileges        = ["USAGE", "CREATE TABLE"]

  on_schema {
    schema_name = snowflake_schema.pipelineops.fully_qualified_name
  }
}
