terraform {
  required_version = ">= 1.11.0"

  required_providers {
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.11.0"
      # default provider: SYSADMIN (warehouses, databases, schemas)
      # securityadmin:    roles, role grants, privilege grants, the CI service user
      # accountadmin:     the resource monitor and its assignment to warehouses, nothing else
      configuration_aliases = [snowflake.securityadmin, snowflake.accountadmin]
    }
  }
}
