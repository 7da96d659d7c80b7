module "snowflake_platform" {
  source = "../../modules/snowflake_platform"

  providers = {
    snowflake               = snowflake
    snowflake.securityadmin = snowflake.securityadmin
    snowflake.accountadmin  = snowflake.accountadmin
  }

  environment = "staging"
  name_prefix = "STAGING_"

  warehouses = {
    loading      = { size = "XSMALL", auto_suspend = 60 }
    transforming = { size = "SMALL", auto_suspend = 60 }
    reporting    = { size = "XSMALL", auto_suspend = 300 }
    ci           = { size = "XSMALL", auto_suspend = 60 }
  }

  monthly_credit_quota = 100

  # one key pair per identity (terraform/README.md, "Identities and keys")
  deploy_rsa_public_key         = var.deploy_rsa_public_key
  deploy_rsa_public_key_2       = var.deploy_rsa_public_key_2
  pr_ci_rsa_public_key          = var.pr_ci_rsa_public_key
  pr_ci_rsa_public_key_2        = var.pr_ci_rsa_public_key_2
  terraform_plan_rsa_public_key = var.terraform_plan_rsa_public_key
}
