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

  ci_rsa_public_key   = var.ci_rsa_public_key
  ci_rsa_public_key_2 = var.ci_rsa_public_key_2
}
