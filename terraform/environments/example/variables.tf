# The inputs this environment sets; add any other variable of terraform/variables.tf
# here and in the module block when an environment needs it.

variable "alert_emails" {
  description = "Email addresses that receive this environment's alerts."
  type        = list(string)
  default     = []
}

variable "billing_project" {
  description = "Quota project for user credentials (see terraform/README.md); usually project_id, null in CI."
  type        = string
  default     = null
}

variable "budget" {
  description = "Optional monthly budget: {billing_account, amount, currency_code}."
  type = object({
    amount          = number
    billing_account = string
    currency_code   = optional(string, "USD")
  })
  default = null
}

variable "budget_guard" {
  description = "With a budget: whether budget_guard pauses every profile once spend reaches pause_at_percent (terraform/variables.tf)."
  type = object({
    enabled          = optional(bool, true)
    pause_at_percent = optional(number, 100)
  })
  default  = {}
  nullable = false
}

variable "build_python" {
  description = "Python with google-auth and requests for the image build step (make sets it to the repository's .venv)."
  type        = string
  default     = "python3"
}

variable "custom_domain" {
  description = "Optional custom domain: {domain, rate_limit_per_minute}."
  type = object({
    domain                = string
    rate_limit_per_minute = optional(number, 120)
  })
  default = null
}

variable "name_prefix" {
  description = "Prefix of every name; must differ between environments that share a project."
  type        = string
  default     = "tokenvend"
}

variable "project_id" {
  description = "Project of this environment."
  type        = string
}

variable "region" {
  description = "Region of this environment."
  type        = string
}
