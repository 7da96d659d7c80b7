module "snowflake_platform" {
  source = "../../modules/snowflake_platform"

  providers = {
    snowflake               = snowflake
    snowflake.securityadmin = snowflake.securityadmin
    snowflake.accountadmin  = snowflake.accountadmin
  }

  environment = "prod"
  name_prefix = "PROD_"

  warehouses = {
    loading      = { size = "SMALL", auto_suspend = 60 }
    transforming = { size = "MEDIUM", auto_suspend = 120 }
    reporting    = { size = "SMALL", auto_suspend = 300 }
    ci           = { size = "XSMALL", auto_suspend = 60 }
  }

  monthly_credit_quota = 400

  # one key pair per identity (terraform/README.md, "Identities and keys")
  deploy_rsa_public_key         = var.deploy_rsa_public_key
  deploy_rsa_public_key_2       = var.deploy_rsa_public_key_2
  pr_ci_rsa_public_key          = var.pr_ci_rsa_public_key
  pr_ci_rsa_public_key_2        = var.pr_ci_rsa_public_key_2
  terraform_plan_rsa_public_key = var.terraform_plan_rsa_public_key

  # pull-request CI builds in dev and defers to prod: DEV_PR_CI reads prod through PROD_CI_READER
  # (dev is applied before prod, so the role exists).
  ci_reader_granted_to = ["DEV_PR_CI"]
}
