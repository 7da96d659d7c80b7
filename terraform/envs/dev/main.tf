module "snowflake_platform" {
  source = "../../modules/snowflake_platform"

  providers = {
    snowflake               = snowflake
    snowflake.securityadmin = snowflake.securityadmin
    snowflake.accountadmin  = snowflake.accountadmin
  }

  environment = "dev"
  name_prefix = "DEV_"

  warehouses = {
    loading      = { size = "XSMALL", auto_suspend = 60 }
    transforming = { size = "XSMALL", auto_suspend = 60 }
    reporting    = { size = "XSMALL", auto_suspend = 300 }
    ci           = { size = "XSMALL", auto_suspend = 60 }
  }

  monthly_credit_quota = 50

  ci_rsa_public_key   = var.ci_rsa_public_key
  ci_rsa_public_key_2 = var.ci_rsa_public_key_2
}
