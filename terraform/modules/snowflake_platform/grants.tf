# Privilege grants: one block per row of terraform/spec/access.yml (tests/terraform asserts they match,
# and tests/terraform/test_terraform_privileges.py that they are what the product's SQL needs).
# All grants go through the SECURITYADMIN alias: future grants need MANAGE GRANTS.
#
# Blue/green and grants: ALTER SCHEMA ... SWAP WITH moves every object together with its grants, and
# schema-level future grants only apply to objects created later in that schema object. Reader roles
# (REPORTER and the roles in pipelineops.yml environments.<env>.reader_roles) therefore get nothing on
# the consumer schemas from Terraform: the deployer grants them USAGE on each shadow schema and SELECT
# on its views before the swap, and verifies the grants after it. So readers never reach the colour,
# CI_PR_<n> or PIPELINEOPS schemas.
# Every future grant has an `all` twin so that objects which exist when a team adopts are covered too.
# In RAW every grant is schema-level: a loader tool's own schema-level future grants there would
# otherwise silently take precedence over database-level ones.

# LOADER: writes ANALYTICS.RAW, the schema dbt's sources read.

resource "snowflake_grant_privileges_to_account_role" "loader_loading_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.loading.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_schema" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["USAGE", "CREATE TABLE", "CREATE STAGE"]

  on_schema {
    schema_name = snowflake_schema.raw.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "loader_raw_all_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.loader.name
  privileges        = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

  on_schema_object {
    all {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}

# TRANSFORMER: reads RAW; CREATE SCHEMA for the colour schemas dbt builds (through DEPLOYER).

resource "snowflake_grant_privileges_to_account_role" "transformer_transforming_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.transforming.name
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

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_schema" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["USAGE"]

  on_schema {
    schema_name = snowflake_schema.raw.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "transformer_raw_all_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.transformer.name
  privileges        = ["SELECT"]

  on_schema_object {
    all {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "reporter_reporting_warehouse" {
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

# DEPLOYER: shadow and colour schemas, swaps, the journal (it creates and owns DEPLOY_STATE,
# DEPLOY_MANIFESTS and the lock row).

resource "snowflake_grant_privileges_to_account_role" "deployer_ci_warehouse" {
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

# PR_CI: creates CI_PR_<n> schemas (and owns only those) and reads its environment's RAW (the sources of
# the PR build); production it reads through that environment's CI_READER (var.ci_reader_granted_to).

resource "snowflake_grant_privileges_to_account_role" "pr_ci_ci_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.pr_ci.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.ci.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "pr_ci_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.pr_ci.name
  privileges        = ["USAGE", "CREATE SCHEMA"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "pr_ci_raw_schema" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.pr_ci.name
  privileges        = ["USAGE"]

  on_schema {
    schema_name = snowflake_schema.raw.fully_qualified_name
  }
}

resource "snowflake_grant_privileges_to_account_role" "pr_ci_raw_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.pr_ci.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "pr_ci_raw_all_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.pr_ci.name
  privileges        = ["SELECT"]

  on_schema_object {
    all {
      object_type_plural = "TABLES"
      in_schema          = snowflake_schema.raw.fully_qualified_name
    }
  }
}


# CI_READER: read-only view of this environment for pull-request CI of another one (deferral to the
# consumer views, zero-copy clones of the live colour's tables, DEPLOY_MANIFESTS). RAW is not included:
# its schema-level future grants take precedence there, and CI reads its own environment's RAW.

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_schemas" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["USAGE"]

  on_schema {
    future_schemas_in_database = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_all_schemas" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["USAGE"]

  on_schema {
    all_schemas_in_database = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "TABLES"
      in_database        = snowflake_database.analytics.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_all_tables" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["SELECT"]

  on_schema_object {
    all {
      object_type_plural = "TABLES"
      in_database        = snowflake_database.analytics.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_future_views" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["SELECT"]

  on_schema_object {
    future {
      object_type_plural = "VIEWS"
      in_database        = snowflake_database.analytics.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "ci_reader_analytics_all_views" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.ci_reader.name
  privileges        = ["SELECT"]

  on_schema_object {
    all {
      object_type_plural = "VIEWS"
      in_database        = snowflake_database.analytics.name
    }
  }
}

resource "snowflake_grant_privileges_to_account_role" "terraform_plan_analytics_database" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.terraform_plan.name
  privileges        = ["USAGE"]

  on_account_object {
    object_type = "DATABASE"
    object_name = snowflake_database.analytics.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "terraform_plan_loading_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.terraform_plan.name
  privileges        = ["MONITOR"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.loading.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "terraform_plan_transforming_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.terraform_plan.name
  privileges        = ["MONITOR"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.transforming.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "terraform_plan_reporting_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.terraform_plan.name
  privileges        = ["MONITOR"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.reporting.name
  }
}

resource "snowflake_grant_privileges_to_account_role" "terraform_plan_ci_warehouse" {
  provider          = snowflake.securityadmin
  account_role_name = snowflake_account_role.terraform_plan.name
  privileges        = ["MONITOR"]

  on_account_object {
    object_type = "WAREHOUSE"
    object_name = snowflake_warehouse.ci.name
  }
}
