output "api_key_secret" {
  description = "Resource name of the Secret Manager secret the functions read the Gemini API key from (projects/P/secrets/S). Add the key with: gcloud secrets versions add S --project P --data-file=-"
  value       = local.secret_name
}

output "app_check_consume_profiles" {
  description = "Profiles whose policy says access.app_check.consume: true: their functions have roles/firebaseappcheck.tokenVerifier on the Firebase project (app_check_project_id, default project_id)."
  value       = sort(keys(module.profiles.app_check_consume_profiles))
}

output "build_service_account" {
  description = "Email of the service account Cloud Build builds the functions with (the dedicated one Terraform created, or var.build_service_account)."
  value       = local.build_account_email
}

output "dashboard" {
  description = "Resource id of the Cloud Monitoring dashboard (projects/NUMBER/dashboards/ID); open it in the console under Monitoring > Dashboards."
  value       = google_monitoring_dashboard.tokenvend.id
}

output "firestore_database" {
  description = "Firestore database id the quota counters live in, or null when no policy has a quotas section. The kill switch is the document tokenvend_profiles/<profile> with a boolean field paused."
  value       = local.uses_firestore ? local.firestore_database : null
}

output "function_urls" {
  description = "Map of profile name to the HTTPS URL of its function, the endpoint browsers POST to."
  value       = { for name, f in google_cloudfunctions2_function.profile : name => f.url }
}

output "public_invoker_commands" {
  description = "With public_invoker = \"none\": per public profile, the gcloud command that turns the Cloud Run invoker IAM check off so browsers can call the function without an allUsers binding. Empty otherwise."
  value = var.public_invoker == "none" ? {
    for name, p in module.profiles.public_profiles :
    name => "gcloud run services update ${p.function_name} --project ${var.project_id} --region ${var.region} --no-invoker-iam-check"
  } : {}
}

output "public_profiles" {
  description = "Profiles whose functions anyone may invoke (deploy.public: true); the others need roles/run.invoker."
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
