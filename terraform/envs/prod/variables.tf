variable "ci_rsa_public_key" {
  description = "Public key of the CI service user (TF_VAR_ci_rsa_public_key)."
  type        = string
}

variable "ci_rsa_public_key_2" {
  description = "Second key slot of the CI service user, for rotation (TF_VAR_ci_rsa_public_key_2)."
  type        = string
  default     = null
}
