# Role hierarchy (terraform/spec/access.yml):
#   REPORTER -> TRANSFORMER -> DEPLOYER -> SYSADMIN
#   LOADER                             -> SYSADMIN
# A parent inherits the privileges (and ownership) of its children, so SYSADMIN can manage everything
# the pipeline builds, and DEPLOYER can replace what TRANSFORMER built.

resource "snowflake_account_role" "loader" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}LOADER"
  comment  = "PipelineOps ${var.environment}: writes RAW."
}

resource "snowflake_account_role" "transformer" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}TRANSFORMER"
  comment  = "PipelineOps ${var.environment}: reads RAW, owns the dbt builds in ANALYTICS."
}

resource "snowflake_account_role" "reporter" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}REPORTER"
  comment  = "PipelineOps ${var.environment}: reads the consumer views only; never writes."
}

resource "snowflake_account_role" "deployer" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}DEPLOYER"
  comment  = "PipelineOps ${var.environment}: CI and deploys: PR schemas, shadow schemas, swaps, DEPLOY_STATE."
}

resource "snowflake_grant_account_role" "reporter_to_transformer" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.reporter.name
  parent_role_name = snowflake_account_role.transformer.name
}

resource "snowflake_grant_account_role" "transformer_to_deployer" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.transformer.name
  parent_role_name = snowflake_account_role.deployer.name
}

resource "snowflake_grant_account_role" "deployer_to_sysadmin" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.deployer.name
  parent_role_name = "SYSADMIN"
}

resource "snowflake_grant_account_role" "loader_to_sysadmin" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.loader.name
  parent_role_name = "SYSADMIN"
}
