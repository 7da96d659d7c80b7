variable "environment" {
  description = "Environment this platform serves: dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging, prod."
  }
}

variable "name_prefix" {
  description = "Prefix of every account-level object (roles, warehouses, databases, users), e.g. \"PROD_\". Use \"\" when each environment has its own Snowflake account."
  type        = string

  validation {
    condition     = can(regex("^([A-Z][A-Z0-9]*_)?$", var.name_prefix))
    error_message = "name_prefix must be empty or upper-case letters/digits ending in an underscore, e.g. \"PROD_\"."
  }
}

variable "warehouses" {
  description = "Size and auto-suspend (seconds) of the warehouse of each workload."
  type = object({
    loading      = object({ size = string, auto_suspend = number })
    transforming = object({ size = string, auto_suspend = number })
    reporting    = object({ size = string, auto_suspend = number })
    ci           = object({ size = string, auto_suspend = number })
  })

  validation {
    condition     = alltrue([for w in values(var.warehouses) : w.auto_suspend >= 60 && w.auto_suspend <= 600])
    error_message = "auto_suspend must be between 60 and 600 seconds for every warehouse."
  }
}

variable "monthly_credit_quota" {
  description = "Credits per month for all warehouses of this environment; the monitor notifies at 75/90 %, suspends at 100 % and suspends immediately at 110 %."
  type        = number
}

variable "data_retention_days" {
  description = "Time Travel retention of RAW and ANALYTICS. 1 is the maximum on Standard edition; up to 90 on Enterprise."
  type        = number
  default     = 1
}

variable "ci_rsa_public_key" {
  description = "Public key (one line, no PEM header/footer) of the CI service user's active key pair."
  type        = string
}

variable "ci_rsa_public_key_2" {
  description = "Second key slot of the CI service user, used while rotating: set the new key here, switch CI to it, then move it to ci_rsa_public_key."
  type        = string
  default     = null
}
