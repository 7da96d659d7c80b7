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

  ci_rsa_public_key   = var.ci_rsa_public_key
  ci_rsa_public_key_2 = var.ci_rsa_public_key_2
}
