variable "deploy_rsa_public_key" {
  description = "Public key of the deploy identity (TF_VAR_deploy_rsa_public_key; validated by the module)."
  type        = string
}

variable "deploy_rsa_public_key_2" {
  description = "Second key slot of the deploy identity, for rotation (TF_VAR_deploy_rsa_public_key_2)."
  type        = string
  default     = null
}

variable "pr_ci_rsa_public_key" {
  description = "Public key of the pull-request CI identity (TF_VAR_pr_ci_rsa_public_key); a different pair from the deploy one."
  type        = string
}

variable "pr_ci_rsa_public_key_2" {
  description = "Second key slot of the pull-request CI identity, for rotation (TF_VAR_pr_ci_rsa_public_key_2)."
  type        = string
  default     = null
}

variable "terraform_plan_rsa_public_key" {
  description = "Public key of the read-only Terraform plan identity (TF_VAR_terraform_plan_rsa_public_key)."
  type        = string
}

variable "plan_role" {
  description = "Set (TF_VAR_plan_role) only by `terraform plan` on pull requests: every provider then uses this read-only role instead of the administration roles."
  type        = string
  default     = ""
}
