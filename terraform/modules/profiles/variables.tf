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
