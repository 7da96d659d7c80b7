# Connection settings come from the environment, never from code:
#   SNOWFLAKE_ORGANIZATION_NAME, SNOWFLAKE_ACCOUNT_NAME, SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY
# The user is the Terraform administration user (key-pair), distinct from the CI user created here.

provider "snowflake" {
  authenticator = "SNOWFLAKE_JWT"
  role          = "SYSADMIN"
}

provider "snowflake" {
  alias         = "securityadmin"
  authenticator = "SNOWFLAKE_JWT"
  role          = "SECURITYADMIN"
}

# Used only by the resource monitor and its assignment to warehouses (modules/snowflake_platform/monitor.tf).
provider "snowflake" {
  alias         = "accountadmin"
  authenticator = "SNOWFLAKE_JWT"
  role          = "ACCOUNTADMIN"
}
