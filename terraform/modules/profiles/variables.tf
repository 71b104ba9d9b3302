variable "max_instances_limit" {
  description = "Largest deploy.max_instances a policy may ask for. 100 is the most instances Cloud Run gives one service without a quota increase; raise it (up to 1000) once your project's quota allows more."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_instances_limit >= 1 && var.max_instances_limit <= 1000 && floor(var.max_instances_limit) == var.max_instances_limit
    error_message = "max_instances_limit must be a whole number from 1 to 1000 (100 is Cloud Run's default per-service maximum)."
  }
}

variable "name_prefix" {
  description = "Prefix of every derived resource name (function names, service account ids). Lowercase letters, digits and hyphens."
  type        = string
  default     = "tokenvend"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example \"tokenvend\")."
  }
}

variable "policies_dir" {
  description = "Folder holding the policy files. Every `*.yaml` file directly in it is one profile; any other file is ignored."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.policies_dir)) > 0
    error_message = "policies_dir must be the path of the folder that holds the policy YAML files (for example \"../policies\")."
  }
}
