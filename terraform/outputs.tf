output "api_key_secret" {
  description = "Resource name of the Secret Manager secret the functions read the Gemini API key from (projects/P/secrets/S). Add the key with: gcloud secrets versions add S --project P --data-file=-"
  value       = local.secret_name
}

output "function_urls" {
  description = "Map of profile name to the HTTPS URL of its function, the endpoint browsers POST to."
  value       = { for name, f in google_cloudfunctions2_function.profile : name => f.url }
}

output "public_profiles" {
  description = "Profiles whose functions anyone may invoke (deploy.public: true); the others need roles/run.invoker."
  value       = sort(keys(module.profiles.public_profiles))
}

output "service_accounts" {
  description = "Map of profile name to the email of the service account its function runs as."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "source_bucket" {
  description = "Name of the private bucket that holds the uploaded function source archives."
  value       = google_storage_bucket.source.name
}
