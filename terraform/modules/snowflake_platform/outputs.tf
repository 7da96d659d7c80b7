output "roles" {
  description = "Account role names by function."
  value = {
    loader      = snowflake_account_role.loader.name
    transformer = snowflake_account_role.transformer.name
    reporter    = snowflake_account_role.reporter.name
    deployer    = snowflake_account_role.deployer.name
  }
}

output "warehouses" {
  description = "Warehouse names by workload."
  value = {
    loading      = snowflake_warehouse.loading.name
    transforming = snowflake_warehouse.transforming.name
    reporting    = snowflake_warehouse.reporting.name
    ci           = snowflake_warehouse.ci.name
  }
}

output "databases" {
  description = "Database names."
  value = {
    raw       = snowflake_database.raw.name
    analytics = snowflake_database.analytics.name
  }
}

output "deploy_state_schema" {
  description = "Schema holding the DEPLOY_STATE journal."
  value       = snowflake_schema.pipelineops.fully_qualified_name
}

output "ci_user" {
  description = "Name of the CI service user."
  value       = snowflake_service_user.ci.name
}
