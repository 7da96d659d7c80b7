# Connection settings come from the environment, never from code:
#   SNOWFLAKE_ORGANIZATION_NAME, SNOWFLAKE_ACCOUNT_NAME, SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY
# apply: the Terraform administration user (key-pair), distinct from the users created here.
# plan on a pull request: <ENV>_TERRAFORM_PLAN with TF_VAR_plan_role, which can change nothing.

provider "snowflake" {
  authenticator = "SNOWFLAKE_JWT"
  role          = var.plan_role != "" ? var.plan_role : "SYSADMIN"
}

provider "snowflake" {
  alias         = "securityadmin"
  authenticator = "SNOWFLAKE_JWT"
  role          = var.plan_role != "" ? var.plan_role : "SECURITYADMIN"
}

# Used only by the resource monitor and its assignment to warehouses (modules/snowflake_platform/monitor.tf).
provider "snowflake" {
  alias         = "accountadmin"
  authenticator = "SNOWFLAKE_JWT"
  role          = var.plan_role != "" ? var.plan_role : "ACCOUNTADMIN"
}
