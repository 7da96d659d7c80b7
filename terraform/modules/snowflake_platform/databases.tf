# ANALYTICS holds everything the pipeline reads and writes, so that dbt's sources (no `database:`, so
# the target's database) and LOADER meet in one place:
#   RAW                               landed source data: LOADER writes, dbt (TRANSFORMER, CI_READER) reads
#   PIPELINEOPS                       DEPLOY_STATE journal, DEPLOY_MANIFESTS and the deploy lock row
#   <SCHEMA>__BLUE / <SCHEMA>__GREEN  physical colour schemas, built by dbt (DEPLOYER)
#   <SCHEMA>                          consumer schemas of views, replaced by ALTER SCHEMA ... SWAP WITH
#   <SCHEMA>__NEXT                    shadow schemas the deployer builds before each swap
#   CI_PR_<n>                         per-PR schemas created and dropped by pull-request CI (PR_CI)
# Colour, consumer, shadow and PR schemas are created by the pipeline (CREATE SCHEMA on ANALYTICS)
# because a swap replaces the schema object behind a name: a Terraform-managed consumer schema would
# drift after every deploy. Where data lives, Terraform refuses to destroy (prevent_destroy).

resource "snowflake_database" "analytics" {
  name                           = "${var.name_prefix}ANALYTICS"
  comment                        = "PipelineOps ${var.environment}: RAW, dbt colour schemas, consumer views, PR schemas and the deploy journal."
  data_retention_time_in_days    = var.data_retention_days
  drop_public_schema_on_creation = true

  lifecycle {
    prevent_destroy = true
  }
}

resource "snowflake_schema" "raw" {
  database = snowflake_database.analytics.name
  name     = var.raw_schema
  comment  = "PipelineOps ${var.environment}: landed source data (LOADER writes; dbt sources read it)."

  lifecycle {
    prevent_destroy = true
  }
}

resource "snowflake_schema" "pipelineops" {
  database = snowflake_database.analytics.name
  name     = "PIPELINEOPS"
  comment  = "PipelineOps ${var.environment}: DEPLOY_STATE journal (one row per deploy/rollback step), DEPLOY_MANIFESTS and the deploy lock row."

  lifecycle {
    prevent_destroy = true
  }
}

# RAW used to be a database of its own, which dbt's sources never read. Forget it without dropping
# it: move its tables into ANALYTICS.RAW (or re-point the loader), then drop it by hand.
removed {
  from = snowflake_database.raw

  lifecycle {
    destroy = false
  }
}
