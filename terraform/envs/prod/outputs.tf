output "platform" {
  description = "Names the pipeline configuration needs (roles, warehouses, databases, journal schema, service users)."
  value = {
    roles               = module.snowflake_platform.roles
    warehouses          = module.snowflake_platform.warehouses
    databases           = module.snowflake_platform.databases
    deploy_state_schema = module.snowflake_platform.deploy_state_schema
    raw_schema          = module.snowflake_platform.raw_schema
    users               = module.snowflake_platform.users
  }
}
