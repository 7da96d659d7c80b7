# RAW: landed data, written by LOADER, read by TRANSFORMER.
# ANALYTICS: the blue/green layout. Terraform owns the database and the PIPELINEOPS schema only:
#   <SCHEMA>__BLUE / <SCHEMA>__GREEN  physical colour schemas, built by dbt (TRANSFORMER/DEPLOYER)
#   <SCHEMA>                          consumer schemas of views, replaced by ALTER SCHEMA ... SWAP WITH
#   <SCHEMA>__NEXT                    shadow schemas the deployer builds before each swap
#   CI_PR_<n>                         per-PR schemas created and dropped by CI (DEPLOYER)
# Those are created by the pipeline (CREATE SCHEMA on ANALYTICS) because a swap replaces the schema
# object behind a name: a Terraform-managed consumer schema would drift after every deploy.

resource "snowflake_database" "raw" {
  name                           = "${var.name_prefix}RAW"
  comment                        = "PipelineOps ${var.environment}: landed source data (LOADER writes, TRANSFORMER reads)."
  data_retention_time_in_days    = var.data_retention_days
  drop_public_schema_on_creation = true
}

resource "snowflake_database" "analytics" {
  name                           = "${var.name_prefix}ANALYTICS"
  comment                        = "PipelineOps ${var.environment}: dbt colour schemas, consumer views, PR schemas and the deploy journal."
  data_retention_time_in_days    = var.data_retention_days
  drop_public_schema_on_creation = true
}

resource "snowflake_schema" "pipelineops" {
  database = snowflake_database.analytics.name
  name     = "PIPELINEOPS"
  comment  = "PipelineOps ${var.environment}: DEPLOY_STATE journal (one row per deploy/rollback step) and the deploy lock row."
}
