output "api_key_secret" {
  description = "Resource name of the Secret Manager secret the functions read the Gemini API key from (projects/P/secrets/S). Add the key with: gcloud secrets versions add S --project P --data-file=-"
  value       = local.secret_name
}

output "app_check_consume_profiles" {
  description = "Profiles whose policy says access.app_check.consume: true: their functions have roles/firebaseappcheck.tokenVerifier on the Firebase project (app_check_project_id, default project_id)."
  value       = sort(keys(module.profiles.app_check_consume_profiles))
}

output "budget_guard" {
  description = "With a budget and budget_guard.enabled: the budget_guard service (internal ingress, invoked only by its Eventarc trigger's account), the Pub/Sub topic the budget publishes to, the budget id the guard acts on and its threshold. Null otherwise."
  value = local.guard_enabled ? {
    service          = module.budget_guard_service[0].name
    service_account  = google_service_account.budget_guard[0].email
    topic            = local.budget_topic
    budget_id        = local.guarded_budget_id
    pause_at_percent = var.budget_guard.pause_at_percent
  } : null
}

output "build_service_account" {
  description = "Email of the service account Cloud Build builds the image with (the dedicated one Terraform created, or var.build_service_account)."
  value       = local.build_account_email
}

output "custom_domain" {
  description = "With custom_domain: the load balancer's IPv4 address (point an A record for the domain at it) and its domain. Null otherwise."
  value = var.custom_domain == null ? null : {
    domain     = var.custom_domain.domain
    ip_address = module.custom_domain[0].ip_address
  }
}

output "dashboard" {
  description = "Resource id of the Cloud Monitoring dashboard (projects/NUMBER/dashboards/ID); open it in the console under Monitoring > Dashboards."
  value       = google_monitoring_dashboard.tokenvend.id
}

output "firestore_database" {
  description = "Firestore database id the quota counters live in (created on the first apply unless firestore.create_database = false), or null when Terraform neither created one nor has a profile using one (quotas, spend or kill_switch: true). The kill switch is the document tokenvend_profiles/<profile> with a boolean field paused."
  value       = local.create_database || local.uses_firestore ? local.firestore_database : null
}

output "function_urls" {
  description = "Map of profile name to the HTTPS URL browsers POST to: https://<custom_domain>/<profile> with custom_domain, else the service's run.app URL."
  value = (
    var.custom_domain == null
    ? { for name, service in module.profile_service : name => service.uri }
    : module.custom_domain[0].urls
  )
}

output "image" {
  description = "The container image every profile's service runs (Artifact Registry, tagged with a hash of its source, base image and entry point)."
  value       = local.images["mint_token"]
}

output "kill_switch_profiles" {
  description = "Profiles whose functions read the kill switch (quotas, spend or kill_switch: true): python -m tokenvend pause PROFILE stops them within 10 s."
  value       = sort([for name, p in module.profiles.profiles : name if p.kill_switch])
}

output "public_profiles" {
  description = "Profiles whose functions anyone may invoke (deploy.public: true: invoker IAM check off, or roles/run.invoker for public_invoker_members); the others need roles/run.invoker."
  value       = sort(keys(module.profiles.public_profiles))
}

output "quota_profiles" {
  description = "Profiles whose policy has a quotas section: their functions count requests in Firestore (firestore_database)."
  value       = sort(keys(module.profiles.quota_profiles))
}

output "service_accounts" {
  description = "Map of profile name to the email of the service account its function runs as."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "source_bucket" {
  description = "Name of the private bucket that holds the uploaded function source archives."
  value       = google_storage_bucket.source.name
}
