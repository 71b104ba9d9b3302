variable "api_key_secret" {
  description = "Secret Manager secret that holds the Gemini API key. With create = true Terraform makes the empty secret container; with create = false it uses an existing secret (in project_id, default the deployment project). Either way Terraform never writes a secret version, so the key never reaches Terraform state: add it with `gcloud secrets versions add` (see the README). replica_locations pins the secret's data to those regions (empty: automatic replication); it applies only when Terraform creates the secret."
  type = object({
    create            = optional(bool, true)
    project_id        = optional(string)
    replica_locations = optional(list(string), [])
    secret_id         = optional(string, "tokenvend-gemini-api-key")
  })
  default  = {}
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.api_key_secret.secret_id))
    error_message = "api_key_secret.secret_id must be 1 to 255 letters, digits, hyphens or underscores, the bare id (for example \"tokenvend-gemini-api-key\"), not a projects/... path."
  }

  validation {
    condition     = var.api_key_secret.project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", coalesce(var.api_key_secret.project_id, "x")))
    error_message = "api_key_secret.project_id must be a project id (6-30 lowercase letters, digits, hyphens), or left out to use project_id."
  }

  validation {
    condition     = var.api_key_secret.create || length(var.api_key_secret.replica_locations) == 0
    error_message = "api_key_secret.replica_locations only applies when Terraform creates the secret: remove it, or set create = true."
  }

  validation {
    condition     = alltrue([for l in var.api_key_secret.replica_locations : can(regex("^[a-z]+-[a-z]+[0-9]+$", l))])
    error_message = "api_key_secret.replica_locations must be region names such as \"europe-west1\"."
  }
}

variable "build_service_account" {
  description = "Email of the service account Cloud Build uses to build the functions. Null uses the project's default build service account; set it when your organisation disables the default one or its grants (it then needs roles/logging.logWriter, roles/artifactregistry.writer and read access to the function sources, and you need roles/iam.serviceAccountUser on it)."
  type        = string
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^[^@[:space:]]+@[a-z0-9.-]+\\.gserviceaccount\\.com$", coalesce(var.build_service_account, "x")))
    error_message = "build_service_account must be a service account email such as \"builder@my-project.iam.gserviceaccount.com\", or null for the project default."
  }
}

variable "enable_apis" {
  description = "Enable the Google Cloud APIs the bundle needs in project_id. Set to false when a platform team manages project services elsewhere. APIs are never disabled on destroy."
  type        = bool
  default     = true
  nullable    = false
}

variable "function_config" {
  description = "Settings shared by every function. concurrency: requests one instance serves at once (each function gets 1 vCPU, which Cloud Run requires for more than one). runtime: Python runtime id. timeout_seconds: request deadline."
  type = object({
    concurrency     = optional(number, 16)
    runtime         = optional(string, "python312")
    timeout_seconds = optional(number, 30)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.function_config.concurrency >= 1 && var.function_config.concurrency <= 1000 && floor(var.function_config.concurrency) == var.function_config.concurrency
    error_message = "function_config.concurrency must be a whole number from 1 to 1000 (16 suits this I/O-bound function)."
  }

  validation {
    condition     = can(regex("^python3(1[2-9]|[2-9][0-9])$", var.function_config.runtime))
    error_message = "function_config.runtime must be python312 or newer (for example \"python313\"); the code is tested on Python 3.11+ and older runtimes are deprecated."
  }

  validation {
    condition     = var.function_config.timeout_seconds >= 5 && var.function_config.timeout_seconds <= 300 && floor(var.function_config.timeout_seconds) == var.function_config.timeout_seconds
    error_message = "function_config.timeout_seconds must be a whole number from 5 to 300; minting a token takes well under a second, 30 is the default."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels (secret, bucket, functions)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for k, v in var.labels :
      can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "labels keys must start with a lowercase letter; keys and values may hold up to 63 lowercase letters, digits, underscores and hyphens."
  }
}

variable "name_prefix" {
  description = "Prefix of every name Terraform makes: functions are <name_prefix>-<profile>, service accounts start with it, the source bucket is <project_id>-<name_prefix>-source. Change it to deploy a second copy in the same project."
  type        = string
  default     = "tokenvend"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (for example \"tokenvend\")."
  }
}

variable "project_id" {
  description = "Id of the Google Cloud project the functions, service accounts and source bucket go into."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id (not its name or number): 6-30 lowercase letters, digits and hyphens, starting with a letter, for example \"my-project-123\"."
  }
}

variable "region" {
  description = "Region of the functions and the source bucket, for example \"europe-west1\". Pick one close to your users and where Cloud Run functions are available."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as \"europe-west1\" or \"us-central1\", not a zone (no -a/-b suffix)."
  }
}

variable "source_retention_days" {
  description = "Days an uploaded source archive stays in the source bucket. Builds read it only while deploying; older archives are deleted by a lifecycle rule, and a deleted current archive is re-uploaded by the next apply."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.source_retention_days >= 1 && var.source_retention_days <= 3650 && floor(var.source_retention_days) == var.source_retention_days
    error_message = "source_retention_days must be a whole number of days from 1 to 3650."
  }
}
