output "platform" {
  description = "Names the pipeline configuration needs (roles, warehouses, databases, journal schema, CI user)."
  value = {
    roles               = module.snowflake_platform.roles
    warehouses          = module.snowflake_platform.warehouses
    databases           = module.snowflake_platform.databases
    deploy_state_schema = module.snowflake_platform.deploy_state_schema
    ci_user             = module.snowflake_platform.ci_user
  }
}
