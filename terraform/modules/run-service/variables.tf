variable "build" {
  description = "How the image was built, recorded on the service as Cloud Run records a function's build (build_config): the gs:// source archive, the entry point (function target), the runtime base image and the full resource name of the build service account. The base image is also the one automatic base image updates keep patched."
  type = object({
    base_image      = string
    function_target = string
    service_account = string
    source_location = string
  })
  nullable = false

  validation {
    condition     = startswith(var.build.source_location, "gs://") && can(regex("^projects/[^/]+/serviceAccounts/[^/]+@[^/]+$", var.build.service_account))
    error_message = "build.source_location must be a gs:// URI and build.service_account a full name such as projects/P/serviceAccounts/builder@P.iam.gserviceaccount.com."
  }
}

variable "concurrency" {
  description = "Requests one instance serves at once (more than one needs a whole vCPU, which cpu provides)."
  type        = number
  nullable    = false
}

variable "cpu" {
  description = "vCPUs per instance, as Cloud Run takes them (\"1\", \"2\", ...)."
  type        = string
  default     = "1"
  nullable    = false
}

variable "description" {
  description = "What the service is for; cut to Cloud Run's 512 characters."
  type        = string
  default     = ""
  nullable    = false
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "image" {
  description = "The container image to run (Artifact Registry URI with a tag)."
  type        = string
  nullable    = false
}

variable "ingress" {
  description = "Cloud Run ingress: INGRESS_TRAFFIC_ALL, or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER when only a load balancer (or the VPC) may reach it."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "invoker" {
  description = "Who may invoke the service. iam_check = false turns the Cloud Run invoker IAM check off (invoker_iam_disabled: anyone may send requests, which the code then checks itself); members get roles/run.invoker, and only while the check is on."
  type = object({
    iam_check = bool
    members   = list(string)
  })
  nullable = false

  validation {
    condition     = var.invoker.iam_check || length(var.invoker.members) == 0
    error_message = "invoker.members only matter while the invoker IAM check is on: with iam_check = false leave them empty."
  }
}

variable "labels" {
  description = "Labels of the service."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "memory" {
  description = "Memory per instance with its unit, for example \"256Mi\"."
  type        = string
  nullable    = false
}

variable "name" {
  description = "Name of the Cloud Run service."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project of the service."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the service."
  type        = string
  nullable    = false
}

variable "scaling" {
  description = "Instance bounds of the service's revisions."
  type = object({
    max_instances = number
    min_instances = number
  })
  nullable = false
}

variable "secret_environment" {
  description = "Environment variables read from Secret Manager when an instance starts: name => {secret (the bare id in project_id, else projects/P/secrets/S), version (a number: pinned, so every instance reads the same value)}."
  type = map(object({
    secret  = string
    version = string
  }))
  default  = {}
  nullable = false
}

variable "service_account_email" {
  description = "The identity the service runs as."
  type        = string
  nullable    = false
}

variable "timeout_seconds" {
  description = "Request deadline."
  type        = number
  nullable    = false
}
