# Least privilege, per function:
# - its own service account, with no project-level role at all (stdout logs
#   reach Cloud Logging through the platform, which needs no role);
# - secretAccessor on the one API-key secret, nothing else;
# - roles/run.invoker for allUsers only where the policy says deploy.public.

resource "google_service_account" "function" {
  for_each = module.profiles.profiles

  project      = var.project_id
  account_id   = each.value.service_account_id
  display_name = "tokenvend ${each.key}"
  description  = "Runtime identity of the tokenvend function for profile ${each.key} (${each.value.file}); may only read the Gemini API key secret."

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "function" {
  for_each = module.profiles.profiles

  project   = local.secret_project
  secret_id = local.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Browsers cannot attach IAM credentials to a CORS preflight (OPTIONS carries no
# Authorization header), so a function that browsers call must be invokable by
# allUsers at the IAM level. It then does its own checks on every request:
# exact-origin CORS, and the policy's `access.callers` / App Check.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = module.profiles.public_profiles

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.profile[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
