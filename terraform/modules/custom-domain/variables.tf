variable "domain" {
  description = "The DNS name the load balancer answers on, for example \"tokens.example.com\"."
  type        = string
  nullable    = false
}

variable "labels" {
  description = "Labels of the resources that take them."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project of the load balancer."
  type        = string
  nullable    = false
}

variable "rate_limit_per_minute" {
  description = "Requests one client IP may send a minute, across every path; above it Cloud Armor answers 429 at the edge."
  type        = number
  nullable    = false
}

variable "region" {
  description = "Region of the Cloud Run services."
  type        = string
  nullable    = false
}

variable "services" {
  description = "Path segment => Cloud Run service name: https://<domain>/<segment> reaches that service."
  type        = map(string)
  nullable    = false

  validation {
    condition     = length(var.services) > 0 && alltrue([for p in keys(var.services) : can(regex("^[a-z][a-z0-9-]*$", p))])
    error_message = "services needs at least one entry; paths are lowercase letters, digits and hyphens."
  }
}
