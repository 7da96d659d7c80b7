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

variable "deploy_rsa_public_key" {
  description = "Public key (PEM, with or without the header/footer) of the deploy identity <P>PIPELINEOPS_DEPLOY (role DEPLOYER): deploys and rollbacks, used only in the protected GitHub environment."
  type        = string

  validation {
    condition     = can(regex("^MII[A-Za-z0-9+/]{200,}={0,2}$", replace(var.deploy_rsa_public_key, "/-----(BEGIN|END) PUBLIC KEY-----|\\s/", "")))
    error_message = "deploy_rsa_public_key must be an RSA public key in PEM form (base64 starting with MII, optionally between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----); it is empty or malformed."
  }
}

variable "deploy_rsa_public_key_2" {
  description = "Second key slot of the deploy identity, used while rotating."
  type        = string
  default     = null

  validation {
    condition     = var.deploy_rsa_public_key_2 == null || var.deploy_rsa_public_key_2 == "" || can(regex("^MII[A-Za-z0-9+/]{200,}={0,2}$", replace(var.deploy_rsa_public_key_2, "/-----(BEGIN|END) PUBLIC KEY-----|\\s/", "")))
    error_message = "deploy_rsa_public_key_2 must be empty or an RSA public key in PEM form (base64 starting with MII, optionally between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----)."
  }
}

variable "pr_ci_rsa_public_key" {
  description = "Public key of the pull-request CI identity <P>PIPELINEOPS_PR_CI (role PR_CI): CI_PR_* schemas and read-only access through CI_READER. A different key pair from the deploy identity's."
  type        = string

  validation {
    condition     = can(regex("^MII[A-Za-z0-9+/]{200,}={0,2}$", replace(var.pr_ci_rsa_public_key, "/-----(BEGIN|END) PUBLIC KEY-----|\\s/", "")))
    error_message = "pr_ci_rsa_public_key must be an RSA public key in PEM form (base64 starting with MII, optionally between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----); it is empty or malformed."
  }
}

variable "pr_ci_rsa_public_key_2" {
  description = "Second key slot of the pull-request CI identity, used while rotating."
  type        = string
  default     = null

  validation {
    condition     = var.pr_ci_rsa_public_key_2 == null || var.pr_ci_rsa_public_key_2 == "" || can(regex("^MII[A-Za-z0-9+/]{200,}={0,2}$", replace(var.pr_ci_rsa_public_key_2, "/-----(BEGIN|END) PUBLIC KEY-----|\\s/", "")))
    error_message = "pr_ci_rsa_public_key_2 must be empty or an RSA public key in PEM form (base64 starting with MII, optionally between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----)."
  }
}

variable "terraform_plan_rsa_public_key" {
  description = "Public key of the read-only Terraform plan identity <P>TERRAFORM_PLAN (terraform plan on pull requests)."
  type        = string

  validation {
    condition     = can(regex("^MII[A-Za-z0-9+/]{200,}={0,2}$", replace(var.terraform_plan_rsa_public_key, "/-----(BEGIN|END) PUBLIC KEY-----|\\s/", "")))
    error_message = "terraform_plan_rsa_public_key must be an RSA public key in PEM form (base64 starting with MII, optionally between -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY-----); it is empty or malformed."
  }
}

variable "raw_schema" {
  description = "Schema of the ANALYTICS database that LOADER writes and dbt's sources read (pipelineops.yml layout.raw_schema)."
  type        = string
  default     = "RAW"

  validation {
    condition     = can(regex("^[A-Z][A-Z0-9_]*$", var.raw_schema))
    error_message = "raw_schema must be an unquoted upper-case identifier, e.g. RAW."
  }
}

variable "ci_reader_granted_to" {
  description = "Roles of other environments that read this environment through its CI_READER role, e.g. [\"DEV_PR_CI\"] in prod so that pull-request CI (built in dev) defers to prod. Apply those environments first."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.ci_reader_granted_to : can(regex("^(DEV|STAGING|PROD)_PR_CI$", r))])
    error_message = "ci_reader_granted_to may only name the PR_CI role of an environment, with its prefix: DEV_PR_CI, STAGING_PR_CI or PROD_PR_CI."
  }
}

variable "monitor_notify_users" {
  description = "Users (with a verified e-mail address) the resource monitor notifies at 75 and 90 % of the quota."
  type        = list(string)
  default     = []
}
