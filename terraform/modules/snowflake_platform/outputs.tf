output "roles" {
  description = "Account role names by function."
  value = {
    loader      = snowflake_account_role.loader.name
    transformer = snowflake_account_role.transformer.name
    reporter    = snowflake_account_role.reporter.name
    deployer    = snowflake_account_role.deployer.name
    pr_ci       = snowflake_account_role.pr_ci.name
    ci_reader   = snowflake_account_role.ci_reader.name
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
    analytics = snowflake_database.analytics.name
  }
}

output "deploy_state_schema" {
  description = "Schema holding the DEPLOY_STATE journal."
  value       = snowflake_schema.pipelineops.fully_qualified_name
}

output "raw_schema" {
  description = "Schema LOADER writes and dbt's sources read."
  value       = snowflake_schema.raw.fully_qualified_name
}

output "users" {
  description = "Service users by identity: deploy (protected environment), pr_ci (pull requests), terraform_plan."
  value = {
    deploy         = snowflake_service_user.deploy.name
    pr_ci          = snowflake_service_user.pr_ci.name
    terraform_plan = snowflake_service_user.terraform_plan.name
  }
}
