terraform {
  required_version = ">= 1.11.0"

  required_providers {
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.11.0"
    }
  }

  # State in S3 with S3-native locking (no DynamoDB table). bucket and region come from
  # `terraform init -backend-config=...` (see terraform/README.md and .github/workflows/terraform.yml).
  backend "s3" {
    key          = "pipelineops/snowflake/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
