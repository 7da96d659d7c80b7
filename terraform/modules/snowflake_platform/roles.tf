# Role hierarchy (terraform/spec/access.yml):
#   REPORTER -> TRANSFORMER -> DEPLOYER -> SYSADMIN
#   LOADER                             -> SYSADMIN
#   CI_READER                          -> SYSADMIN and the PR_CI roles of var.ci_reader_granted_to (prod: DEV_PR_CI)
#   PR_CI                              -> SYSADMIN
#   TERRAFORM_PLAN                     -> SYSADMIN
# A parent inherits the privileges (and ownership) of its children, so SYSADMIN can manage everything
# the pipeline builds, and DEPLOYER can replace what TRANSFORMER built. The PR_CI role granted CI_READER
# inherits nothing that writes: CI_READER holds only USAGE and SELECT.

resource "snowflake_account_role" "loader" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}LOADER"
  comment  = "PipelineOps ${var.environment}: writes the RAW schema."
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
  comment  = "PipelineOps ${var.environment}: deploys and rollbacks only: shadow schemas, swaps, DEPLOY_STATE, the lock."
}

resource "snowflake_account_role" "pr_ci" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}PR_CI"
  comment  = "PipelineOps ${var.environment}: pull-request CI: creates, builds in and drops its own CI_PR_<n> schemas."
}

resource "snowflake_account_role" "ci_reader" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}CI_READER"
  comment  = "PipelineOps ${var.environment}: read-only view for CI: consumer views, colour tables (clones), RAW, DEPLOY_MANIFESTS."
}

resource "snowflake_account_role" "terraform_plan" {
  provider = snowflake.securityadmin
  name     = "${var.name_prefix}TERRAFORM_PLAN"
  comment  = "PipelineOps ${var.environment}: terraform plan on pull requests; logs in and reads, never writes."
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

resource "snowflake_grant_account_role" "pr_ci_to_sysadmin" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.pr_ci.name
  parent_role_name = "SYSADMIN"
}

resource "snowflake_grant_account_role" "ci_reader_to_sysadmin" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.ci_reader.name
  parent_role_name = "SYSADMIN"
}


# Pull-request CI of another environment (dev) reading this one (prod) to defer to it.
resource "snowflake_grant_account_role" "ci_reader_to_other_environments" {
  provider         = snowflake.securityadmin
  for_each         = toset(var.ci_reader_granted_to)
  role_name        = snowflake_account_role.ci_reader.name
  parent_role_name = each.value
}

resource "snowflake_grant_account_role" "terraform_plan_to_sysadmin" {
  provider         = snowflake.securityadmin
  role_name        = snowflake_account_role.terraform_plan.name
  parent_role_name = "SYSADMIN"
}
