# One service user per trust level, each with its own key pair (key-pair authentication only: a
# SERVICE user cannot have a password). Two key slots per user allow rotation without downtime.
#   PIPELINEOPS_DEPLOY  DEPLOYER  deploys and rollbacks; its key only in the protected GitHub environment
#   PIPELINEOPS_PR_CI   PR_CI     pull-request CI; its key is the only one a pull-request job receives
#   TERRAFORM_PLAN      TERRAFORM_PLAN  terraform plan on pull requests (apply keeps the admin user)
# Alternative without any stored key: workload identity federation (see terraform/README.md).

locals {
  # Snowflake takes the base64 body only: drop a PEM header/footer and line breaks.
  pem_body = "/-----(BEGIN|END) PUBLIC KEY-----|\\s/"
}

resource "snowflake_service_user" "deploy" {
  provider = snowflake.securityadmin

  name                           = "${var.name_prefix}PIPELINEOPS_DEPLOY"
  comment                        = "PipelineOps ${var.environment}: deploys and rollbacks (GitHub environment ${var.environment} only)."
  default_role                   = snowflake_account_role.deployer.name
  default_warehouse              = snowflake_warehouse.ci.name
  default_secondary_roles_option = "NONE"
  rsa_public_key                 = replace(var.deploy_rsa_public_key, local.pem_body, "")
  # an unset CI variable arrives as "" through TF_VAR_: treat it as "no second key"
  rsa_public_key_2 = var.deploy_rsa_public_key_2 != null && var.deploy_rsa_public_key_2 != "" ? replace(var.deploy_rsa_public_key_2, local.pem_body, "") : null
}

# The deploy user was called PIPELINEOPS_CI before PR CI got an identity of its own.
moved {
  from = snowflake_service_user.ci
  to   = snowflake_service_user.deploy
}

resource "snowflake_service_user" "pr_ci" {
  provider = snowflake.securityadmin

  name                           = "${var.name_prefix}PIPELINEOPS_PR_CI"
  comment                        = "PipelineOps ${var.environment}: pull-request CI (CI_PR_<n> schemas, reads through CI_READER)."
  default_role                   = snowflake_account_role.pr_ci.name
  default_warehouse              = snowflake_warehouse.ci.name
  default_secondary_roles_option = "NONE"
  rsa_public_key                 = replace(var.pr_ci_rsa_public_key, local.pem_body, "")
  rsa_public_key_2               = var.pr_ci_rsa_public_key_2 != null && var.pr_ci_rsa_public_key_2 != "" ? replace(var.pr_ci_rsa_public_key_2, local.pem_body, "") : null
}

resource "snowflake_service_user" "terraform_plan" {
  provider = snowflake.securityadmin

  name                           = "${var.name_prefix}TERRAFORM_PLAN"
  comment                        = "PipelineOps ${var.environment}: terraform plan on pull requests (read-only)."
  default_role                   = snowflake_account_role.terraform_plan.name
  default_secondary_roles_option = "NONE"
  rsa_public_key                 = replace(var.terraform_plan_rsa_public_key, local.pem_body, "")
}

resource "snowflake_grant_account_role" "deployer_to_deploy_user" {
  provider  = snowflake.securityadmin
  role_name = snowflake_account_role.deployer.name
  user_name = snowflake_service_user.deploy.name
}

resource "snowflake_grant_account_role" "pr_ci_to_pr_ci_user" {
  provider  = snowflake.securityadmin
  role_name = snowflake_account_role.pr_ci.name
  user_name = snowflake_service_user.pr_ci.name
}

resource "snowflake_grant_account_role" "terraform_plan_to_plan_user" {
  provider  = snowflake.securityadmin
  role_name = snowflake_account_role.terraform_plan.name
  user_name = snowflake_service_user.terraform_plan.name
}
