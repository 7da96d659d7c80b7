# The only resources that use the ACCOUNTADMIN provider alias: creating a resource monitor and
# assigning it to a warehouse are ACCOUNTADMIN-only operations in Snowflake.

# frequency and start_timestamp are left to Snowflake's defaults (MONTHLY, starting at creation): the
# provider requires the two together, and leaving both out keeps a calendar date out of the code.
resource "snowflake_resource_monitor" "pipelineops" {
  provider = snowflake.accountadmin

  name                      = "${var.name_prefix}PIPELINEOPS_MONITOR"
  credit_quota              = var.monthly_credit_quota
  notify_triggers           = [75, 90]
  suspend_trigger           = 100
  suspend_immediate_trigger = 110
  # who gets the 75/90 % e-mails (users with a verified e-mail address); empty: account administrators only
  notify_users = var.monitor_notify_users
}

# Assign the monitor without making ACCOUNTADMIN the owner of the warehouses.
resource "snowflake_execute" "assign_monitor" {
  provider = snowflake.accountadmin
  for_each = {
    loading      = snowflake_warehouse.loading.name
    transforming = snowflake_warehouse.transforming.name
    reporting    = snowflake_warehouse.reporting.name
    ci           = snowflake_warehouse.ci.name
  }

  execute = "ALTER WAREHOUSE \"${each.value}\" SET RESOURCE_MONITOR = \"${snowflake_resource_monitor.pipelineops.name}\""
  revert  = "ALTER WAREHOUSE \"${each.value}\" UNSET RESOURCE_MONITOR"
  query   = "SHOW WAREHOUSES LIKE '${each.value}'"

  # A re-created (or changed) warehouse has no monitor until the assignment runs again.
  lifecycle {
    replace_triggered_by = [
      snowflake_warehouse.loading,
      snowflake_warehouse.transforming,
      snowflake_warehouse.reporting,
      snowflake_warehouse.ci,
      snowflake_resource_monitor.pipelineops,
    ]
  }
}
