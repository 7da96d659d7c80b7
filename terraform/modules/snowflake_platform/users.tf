# The CI service user: key-pair authentication only (a SERVICE user cannot have a password).
# Two key slots allow rotation without downtime. Alternative without any stored key: Snowflake
# workload identity federation with GitHub's OIDC token (see terraform/README.md).

resource "snowflake_service_user" "ci" {
  provider = snowflake.securityadmin

  name                           = "${var.name_prefix}PIPELINEOPS_CI"
  comment                        = "PipelineOps ${var.environment}: GitHub Actions (PR CI and deploys)."
  default_role                   = snowflake_account_role.deployer.name
  default_warehouse              = snowflake_warehouse.ci.name
  default_secondary_roles_option = "NONE"
  rsa_public_key                 = var.ci_rsa_public_key
  # an unset CI variable arrives as "" through TF_VAR_: treat it as "no second key"
  rsa_public_key_2 = var.ci_rsa_public_key_2 != "" ? var.ci_rsa_public_key_2 : null
}

resource "snowflake_grant_account_role" "deployer_to_ci_user" {
  provider  = snowflake.securityadmin
  role_name = snowflake_account_role.deployer.name
  user_name = snowflake_service_user.ci.name
}
