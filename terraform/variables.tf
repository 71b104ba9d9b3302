variable "alert_emails" {
  description = "Email addresses that receive the alerts (one notification channel each). Empty: the alert policies still exist, and incidents show in the Cloud console under Monitoring > Alerting."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", e))])
    error_message = "alert_emails must hold plain email addresses such as \"ops@example.com\" (no display names, no commas inside an entry)."
  }
}

variable "alerts" {
  description = "Alert thresholds. upstream_error_ratio: share of Gemini calls failing (0.2 = 20%) that opens an incident, once at least min_upstream_calls calls were made within window_minutes (so two failures out of three calls at night page nobody). minted_per_window / refusals_per_window: tokens minted / requests refused, across all profiles, within window_minutes, above which the traffic-spike alert fires; size them to a few times your normal peak."
  type = object({
    min_upstream_calls   = optional(number, 20)
    minted_per_window    = optional(number, 500)
    refusals_per_window  = optional(number, 200)
    upstream_error_ratio = optional(number, 0.2)
    window_minutes       = optional(number, 10)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.alerts.upstream_error_ratio > 0 && var.alerts.upstream_error_ratio < 1
    error_message = "alerts.upstream_error_ratio must be a fraction between 0 and 1, for example 0.2 for 20%."
  }

  validation {
    condition     = var.alerts.minted_per_window >= 1 && var.alerts.refusals_per_window >= 1 && var.alerts.min_upstream_calls >= 1
    error_message = "alerts.minted_per_window, alerts.refusals_per_window and alerts.min_upstream_calls must be at least 1 (counts of requests within window_minutes)."
  }

  validation {
    condition     = var.alerts.window_minutes >= 1 && var.alerts.window_minutes <= 1440 && floor(var.alerts.window_minutes) == var.alerts.window_minutes
    error_message = "alerts.window_minutes must be a whole number of minutes from 1 to 1440."
  }
}

variable "api_key_secret" {
  description = "Secret Manager secret that holds the Gemini API key. With create = true Terraform makes the empty secret container; with create = false it uses an existing secret (in project_id, default the deployment project). Either way Terraform never writes a secret version, so the key never reaches Terraform state: add it with `gcloud secrets versions add` (see the README). replica_locations pins the secret's data to those regions (empty: automatic replication); deletion_protection (default true) makes Terraform refuse to delete the secret, and with it every version of the key, until it is set to false and applied. Both apply only when Terraform creates the secret."
  type = object({
    create              = optional(bool, true)
    deletion_protection = optional(bool, true)
    project_id          = optional(string)
    replica_locations   = optional(list(string), [])
    secret_id           = optional(string, "tokenvend-gemini-api-key")
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

variable "api_propagation_seconds" {
  description = "Seconds to wait after enabling the Google Cloud APIs before creating anything that uses them (enabling returns before every Google front end knows). Only waited when the set of APIs changes."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.api_propagation_seconds >= 0 && var.api_propagation_seconds <= 900 && floor(var.api_propagation_seconds) == var.api_propagation_seconds
    error_message = "api_propagation_seconds must be a whole number from 0 to 900; 90 suits a fresh project."
  }
}

variable "app_check_project_id" {
  description = "Project id of the Firebase project whose App Check tokens the policies accept (the one access.app_check.project_number names). Functions of profiles with access.app_check.consume: true get roles/firebaseappcheck.tokenVerifier on it, to mark tokens used. Null (the default): project_id."
  type        = string
  default     = null

  validation {
    condition     = var.app_check_project_id == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", coalesce(var.app_check_project_id, "x")))
    error_message = "app_check_project_id must be a project id (6-30 lowercase letters, digits, hyphens; not the project number), or null for project_id."
  }
}

variable "billing_project" {
  description = "Quota project for API calls made with user credentials (gcloud auth application-default login). Some APIs (billing budgets, Service Usage) refuse user credentials without one. Usually project_id; null uses the credentials' own quota project (see terraform/README.md)."
  type        = string
  default     = null

  validation {
    condition     = var.billing_project == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", coalesce(var.billing_project, "x")))
    error_message = "billing_project must be a project id (6-30 lowercase letters, digits, hyphens), usually the same as project_id, or null."
  }
}

variable "budget" {
  description = "Optional monthly billing budget on project_id: billing_account (the id XXXXXX-XXXXXX-XXXXXX), amount in whole currency units, currency_code (must be the billing account's currency). Alerts at 50%, 90% and 100% to the billing account's admins and to the alert_emails channels, of which a budget takes at most 5; a budget never stops spending. Null: no budget."
  type = object({
    amount          = number
    billing_account = string
    currency_code   = optional(string, "USD")
  })
  default = null

  validation {
    condition     = var.budget == null || can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", try(var.budget.billing_account, "")))
    error_message = "budget.billing_account must be a billing account id like \"012345-6789AB-CDEF01\" (gcloud billing accounts list), without the billingAccounts/ prefix."
  }

  validation {
    condition     = var.budget == null || try(var.budget.amount >= 1 && floor(var.budget.amount) == var.budget.amount, false)
    error_message = "budget.amount must be a whole number of currency units, at least 1."
  }

  validation {
    condition     = var.budget == null || can(regex("^[A-Z]{3}$", try(var.budget.currency_code, "")))
    error_message = "budget.currency_code must be a three-letter ISO 4217 code such as \"USD\" or \"EUR\", the billing account's currency."
  }
}

variable "budget_guard" {
  description = "With a budget: the budget_guard function, which receives the budget's Pub/Sub notifications and turns on the kill switch of every profile once spend reaches pause_at_percent of the budget (100: the whole amount). It never resumes a profile: `python -m tokenvend resume PROFILE` does (docs/operations.md#the-budget-guard). enabled = false keeps the budget's alerts and deploys no guard. Without a budget there is nothing to guard and this is ignored."
  type = object({
    enabled          = optional(bool, true)
    pause_at_percent = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.budget_guard.pause_at_percent > 0 && var.budget_guard.pause_at_percent <= 1000
    error_message = "budget_guard.pause_at_percent must be a percentage of the budget above 0 and at most 1000, for example 100 to pause when the whole budget is spent or 90 to pause a little before."
  }
}

variable "build_python" {
  description = "The Python interpreter that runs the image build step (terraform/scripts/build_image.py); it needs google-auth and requests. `make plan` and `make deploy` set it to the repository's .venv (TF_VAR_build_python); running terraform by hand, point it at any Python 3.11+ with `pip install -r requirements.txt` done."
  type        = string
  default     = "python3"
  nullable    = false

  validation {
    condition     = length(trimspace(var.build_python)) > 0
    error_message = "build_python must name a Python interpreter, for example \"python3\" or the path of the repository's .venv/bin/python."
  }
}

variable "build_service_account" {
  description = "Email of an existing service account for Cloud Build to build the image with. Null (the default): Terraform creates a dedicated <name_prefix>-build account, grants it build_service_account_roles on the project, read access to the source bucket and write access to the image repository. Set it when your organisation provides build accounts; that account then needs roles/run.builder on project_id (Google's documented role for Cloud Run source builds), and you need roles/iam.serviceAccountUser on it. Terraform then grants it nothing."
  type        = string
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^[^@[:space:]]+@[a-z0-9.-]+\\.gserviceaccount\\.com$", coalesce(var.build_service_account, "x")))
    error_message = "build_service_account must be a service account email such as \"builder@my-project.iam.gserviceaccount.com\", or null to let Terraform create a dedicated build account."
  }
}

variable "build_service_account_roles" {
  description = "Project roles granted to the dedicated build account Terraform creates when build_service_account is null. Default: roles/run.builder, the role Google documents for the build service account of Cloud Run functions and source deploys. Reading the source bucket and writing the image repository are granted on those two resources only, whatever this says. Ignored when build_service_account is set."
  type        = list(string)
  default     = ["roles/run.builder"]
  nullable    = false

  validation {
    condition     = alltrue([for r in var.build_service_account_roles : can(regex("^(roles|projects/[a-z][a-z0-9-]+/roles)/[A-Za-z0-9_.]+$", r))])
    error_message = "build_service_account_roles must be role names such as \"roles/logging.logWriter\" or \"projects/my-project/roles/customBuilder\"."
  }
}

variable "custom_domain" {
  description = "Optional custom domain in front of the functions: an external HTTPS load balancer (global address, Google-managed certificate for domain, one serverless network endpoint group and backend service per profile) with a Cloud Armor policy that rate-limits each client IP at the edge, rate_limit_per_minute requests a minute (over it: 429). Each profile is then served at https://<domain>/<profile>, the functions' ingress becomes internal-and-load-balancer (run.app no longer answers the internet) and the functions read the client address one X-Forwarded-For hop in (trusted_proxy_hops). Point an A record for domain at the address output custom_domain.ip_address; the certificate is issued once it resolves. Null (the default): no load balancer."
  type = object({
    domain                = string
    rate_limit_per_minute = optional(number, 120)
  })
  default = null

  validation {
    condition     = var.custom_domain == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", try(var.custom_domain.domain, "")))
    error_message = "custom_domain.domain must be a lowercase DNS name such as \"tokens.example.com\" (no scheme, no path, no trailing dot)."
  }

  validation {
    condition     = var.custom_domain == null || try(var.custom_domain.rate_limit_per_minute >= 1 && var.custom_domain.rate_limit_per_minute <= 100000 && floor(var.custom_domain.rate_limit_per_minute) == var.custom_domain.rate_limit_per_minute, false)
    error_message = "custom_domain.rate_limit_per_minute must be a whole number of requests from 1 to 100000 per client IP and minute."
  }
}

variable "enable_apis" {
  description = "Enable the Google Cloud APIs the bundle needs in project_id. Set to false when a platform team manages project services elsewhere. APIs are never disabled on destroy."
  type        = bool
  default     = true
  nullable    = false
}

variable "firestore" {
  description = "Firestore for quota counters. database: the database id (null: <name_prefix>-quotas). create_database (default true): Terraform creates that database (Native mode, in location, default the region) on the first apply, whether or not a policy has quotas yet, and keeps it while quota profiles come and go, so turning quotas off and on again never meets an abandoned database (an empty database costs nothing). Set false to use an existing Native-mode database such as \"(default)\". Terraform never deletes the database."
  type = object({
    create_database = optional(bool, true)
    database        = optional(string)
    location        = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.firestore.database == null || can(regex("^([a-z][a-z0-9-]{2,61}[a-z0-9]|\\(default\\))$", coalesce(var.firestore.database, "x")))
    error_message = "firestore.database must be \"(default)\" or 4-63 lowercase letters, digits and hyphens starting with a letter (for example \"tokenvend-quotas\")."
  }

  validation {
    condition     = var.firestore.location == null || can(regex("^[a-z0-9]+(-[a-z]+[0-9]+)?$", coalesce(var.firestore.location, "x")))
    error_message = "firestore.location must be a Firestore location such as \"europe-west1\" or \"eur3\", or null for the region."
  }
}

variable "function_config" {
  description = "Settings shared by every function. concurrency: requests one instance serves at once (each function gets 1 vCPU, which Cloud Run requires for more than one). runtime: Python runtime id. base_image_stack: the operating system stack of the runtime base image the image is built on and that automatic base image updates patch (REGION-docker.pkg.dev/serverless-runtimes/STACK/runtimes/RUNTIME). timeout_seconds: request deadline."
  type = object({
    base_image_stack = optional(string, "google-22-full")
    concurrency      = optional(number, 16)
    runtime          = optional(string, "python312")
    timeout_seconds  = optional(number, 30)
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
    condition     = can(regex("^google-[0-9]{2}(-full)?$", var.function_config.base_image_stack))
    error_message = "function_config.base_image_stack must be a runtime stack such as \"google-22-full\" or \"google-24\" (see Cloud Run's supported runtime base images)."
  }

  validation {
    condition     = var.function_config.timeout_seconds >= 5 && var.function_config.timeout_seconds <= 300 && floor(var.function_config.timeout_seconds) == var.function_config.timeout_seconds
    error_message = "function_config.timeout_seconds must be a whole number from 5 to 300; minting a token takes well under a second, 30 is the default."
  }
}

variable "iam_propagation_seconds" {
  description = "Seconds to wait after the grants a function needs (the build account's roles, each runtime account's access to the API key, the salt secret, the quota database and App Check) before building and deploying. Google says IAM changes typically take effect within 2 minutes and can take 7; 180 covers the typical case with margin. Waited again only when a grant is added, removed or changed."
  type        = number
  default     = 180
  nullable    = false

  validation {
    condition     = var.iam_propagation_seconds >= 0 && var.iam_propagation_seconds <= 900 && floor(var.iam_propagation_seconds) == var.iam_propagation_seconds
    error_message = "iam_propagation_seconds must be a whole number from 0 to 900; 180 suits most projects, 420 is Google's worst case."
  }
}

variable "image_build" {
  description = "How Terraform builds the functions' image from source (terraform/scripts/build_image.py, run once per image): timeout_seconds bounds one build; keep_images is how many images the repository keeps (older ones are deleted by a cleanup policy, the newest always stay)."
  type = object({
    keep_images     = optional(number, 10)
    timeout_seconds = optional(number, 1200)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.image_build.keep_images >= 2 && floor(var.image_build.keep_images) == var.image_build.keep_images
    error_message = "image_build.keep_images must be a whole number, at least 2 (the running image and the one before it, to roll back to)."
  }

  validation {
    condition     = var.image_build.timeout_seconds >= 60 && var.image_build.timeout_seconds <= 3600
    error_message = "image_build.timeout_seconds must be from 60 to 3600; a first build takes a few minutes."
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

variable "metrics_propagation_seconds" {
  description = "Seconds to wait after creating the log-based metrics before creating the alert policies on them: Cloud Monitoring refuses a policy on a metric it does not know yet (404 \"Cannot find metric(s)\", terraform-provider-google#11102), and says a new metric can take up to 10 minutes to appear. The wait runs beside the image build, so it rarely lengthens a first apply; it is waited again only when the set of metrics changes."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.metrics_propagation_seconds >= 0 && var.metrics_propagation_seconds <= 900 && floor(var.metrics_propagation_seconds) == var.metrics_propagation_seconds
    error_message = "metrics_propagation_seconds must be a whole number from 0 to 900; 300 suits a first apply, 600 is the most Google says it can take."
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

variable "policies_dir" {
  description = "Folder of policy files to deploy, one function per *.yaml file directly in it. Null (the default) is the repository's policies/ folder, the one `make validate` checks. The same folder is shipped in the function source."
  type        = string
  default     = null

  validation {
    condition     = var.policies_dir == null || length(trimspace(coalesce(var.policies_dir, "x"))) > 0
    error_message = "policies_dir must be the path of a folder of policy YAML files, or null for the repository's policies/."
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

variable "public_invoker" {
  description = "How profiles with deploy.public: true are opened to browsers. \"invoker_check_disabled\" (default): the Cloud Run invoker IAM check is turned off on those services (invoker_iam_disabled), so no allUsers binding is needed, which organisations enforcing domain-restricted sharing (iam.allowedPolicyMemberDomains, on by default in organisations created since May 2024) refuse. \"iam\": the check stays on and each of public_invoker_members gets roles/run.invoker on those services. Either way every request is checked by the function itself (origins, callers, App Check)."
  type        = string
  default     = "invoker_check_disabled"
  nullable    = false

  validation {
    condition     = contains(["invoker_check_disabled", "iam"], var.public_invoker)
    error_message = "public_invoker must be \"invoker_check_disabled\" (the default, no allUsers binding) or \"iam\" (bindings for public_invoker_members). The former values map as: \"none\" -> \"invoker_check_disabled\", \"allUsers\" -> \"iam\"."
  }
}

variable "public_invoker_members" {
  description = "With public_invoker = \"iam\": the principals that get roles/run.invoker on every public profile's service, for example [\"allUsers\"] (the default) or [\"domain:example.com\"]. Ignored otherwise."
  type        = list(string)
  default     = ["allUsers"]
  nullable    = false

  validation {
    condition     = alltrue([for m in var.public_invoker_members : can(regex("^(allUsers|allAuthenticatedUsers|(user|group|serviceAccount|domain|principal|principalSet):.+)$", m))])
    error_message = "public_invoker_members must hold IAM principals such as \"allUsers\", \"group:web@example.com\" or \"domain:example.com\"."
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

variable "subject_hash_salt_secret" {
  description = "Optional Secret Manager secret holding TOKENVEND_SUBJECT_HASH_SALT, the salt of the caller hashes: quota counters key callers by it, and the decision log hashes callers with it. Null (the default): quotas use a fixed built-in salt and each instance logs with a random one. When set, every function gets it as a secret environment variable and roles/secretmanager.secretAccessor on that secret. secret_id: the bare id; project_id: default project_id; version: the version number to use, required: Cloud Run resolves a secret environment variable when an instance starts, so \"latest\" would let instances started before and after a new version disagree on every caller's key. Rotating is a deliberate change of this number (terraform/README.md); it resets every caller's quota count. Terraform never writes the secret's value."
  type = object({
    project_id = optional(string)
    secret_id  = string
    version    = string
  })
  default = null

  validation {
    condition     = var.subject_hash_salt_secret == null || can(regex("^[A-Za-z0-9_-]{1,255}$", try(var.subject_hash_salt_secret.secret_id, "")))
    error_message = "subject_hash_salt_secret.secret_id must be 1 to 255 letters, digits, hyphens or underscores, the bare id (for example \"tokenvend-subject-hash-salt\"), not a projects/... path."
  }

  validation {
    condition     = try(var.subject_hash_salt_secret.project_id, null) == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", coalesce(try(var.subject_hash_salt_secret.project_id, null), "x")))
    error_message = "subject_hash_salt_secret.project_id must be a project id (6-30 lowercase letters, digits, hyphens), or left out to use project_id."
  }

  validation {
    condition     = var.subject_hash_salt_secret == null || can(regex("^[1-9][0-9]*$", try(var.subject_hash_salt_secret.version, "")))
    error_message = "subject_hash_salt_secret.version must be a version number such as \"3\" (gcloud secrets versions list), not \"latest\": instances read it when they start, so \"latest\" would give instances different salts during a rotation."
  }
}

variable "trusted_proxy_hops" {
  description = "Proxies of yours in front of the functions (a load balancer is 1): the functions take an anonymous caller's address (its quota key) that many X-Forwarded-For entries left of the right-most, which only those proxies can write. Null (the default): 1 with custom_domain, else 0. Above 0 the functions' ingress is internal-and-load-balancer, so nobody can reach run.app directly and forge the header."
  type        = number
  default     = null

  validation {
    condition     = var.trusted_proxy_hops == null || try(var.trusted_proxy_hops >= 0 && var.trusted_proxy_hops <= 5 && floor(var.trusted_proxy_hops) == var.trusted_proxy_hops, false)
    error_message = "trusted_proxy_hops must be a whole number from 0 to 5 (1 for one load balancer), or null to follow custom_domain."
  }
}
