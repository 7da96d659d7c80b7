# One warehouse per workload so that cost and queueing are attributable and sized separately.
# The resource monitor is attached in monitor.tf (only ACCOUNTADMIN can assign one), so these
# warehouses ignore `resource_monitor` and stay owned by SYSADMIN.

resource "snowflake_warehouse" "loading" {
  name                         = "${var.name_prefix}LOADING_WH"
  comment                      = "PipelineOps ${var.environment}: ingestion into RAW (LOADER)."
  warehouse_size               = var.warehouses.loading.size
  auto_suspend                 = var.warehouses.loading.auto_suspend
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = 3600

  lifecycle {
    ignore_changes = [resource_monitor]
  }
}

resource "snowflake_warehouse" "transforming" {
  name                         = "${var.name_prefix}TRANSFORMING_WH"
  comment                      = "PipelineOps ${var.environment}: dbt builds of the idle colour (TRANSFORMER)."
  warehouse_size               = var.warehouses.transforming.size
  auto_suspend                 = var.warehouses.transforming.auto_suspend
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = 7200

  lifecycle {
    ignore_changes = [resource_monitor]
  }
}

resource "snowflake_warehouse" "reporting" {
  name                         = "${var.name_prefix}REPORTING_WH"
  comment                      = "PipelineOps ${var.environment}: BI and consumers reading the published views (REPORTER)."
  warehouse_size               = var.warehouses.reporting.size
  auto_suspend                 = var.warehouses.reporting.auto_suspend
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = 900

  lifecycle {
    ignore_changes = [resource_monitor]
  }
}

resource "snowflake_warehouse" "ci" {
  name                         = "${var.name_prefix}CI_WH"
  comment                      = "PipelineOps ${var.environment}: PR builds in CI_PR_<n>, checks and blue/green cutovers (DEPLOYER)."
  warehouse_size               = var.warehouses.ci.size
  auto_suspend                 = var.warehouses.ci.auto_suspend
  auto_resume                  = "true"
  initially_suspended          = true
  statement_timeout_in_seconds = 3600

  lifecycle {
    ignore_changes = [resource_monitor]
  }
}
