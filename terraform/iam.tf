# Least privilege, per function:
# - its own service account, with no project-level role except
#   roles/datastore.user for profiles with quotas (firestore.tf), limited by an
#   IAM condition to the quota database, and roles/firebaseappcheck.tokenVerifier
#   on the Firebase project for profiles with access.app_check.consume: true;
#   stdout logs reach Cloud Logging through the platform, which needs no role;
# - secretAccessor on the API-key secret and, when var.subject_hash_salt_secret
#   is set, on the salt secret; nothing else;
# - roles/run.invoker for allUsers only where the policy says deploy.public
#   (and var.public_invoker is "allUsers").

resource "google_service_account" "function" {
  for_each = module.profiles.profiles

  project      = var.project_id
  account_id   = each.value.service_account_id
  display_name = "tokenvend ${each.key}"
  description  = "Runtime identity of the tokenvend function for profile ${each.key} (${each.value.file}); may only read the Gemini API key secret${each.value.quotas ? " and its quota counters" : ""}."

  depends_on = [time_sleep.apis_ready]
}

resource "google_secret_manager_secret_iam_member" "function" {
  for_each = module.profiles.profiles

  project   = local.secret_project
  secret_id = local.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The salt of the caller hashes (quota keys, decision log), when kept in a
# secret: every function reads it as TOKENVEND_SUBJECT_HASH_SALT (functions.tf).
resource "google_secret_manager_secret_iam_member" "subject_hash_salt" {
  for_each = local.salt_secret == null ? {} : module.profiles.profiles

  project   = local.salt_secret.project_id
  secret_id = local.salt_secret.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.key].email}"
}

# App Check replay protection (consume: true): the function marks each token
# used through Firebase's projects.verifyAppCheckToken, which needs
# firebaseappcheck.appCheckTokens.verify on the Firebase project. There is no
# narrower resource to grant it on, and only these profiles' accounts get it.
resource "google_project_iam_member" "app_check_token_verifier" {
  for_each = module.profiles.app_check_consume_profiles

  project = local.app_check_project
  role    = "roles/firebaseappcheck.tokenVerifier"
  member  = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Browsers cannot attach IAM credentials to a CORS preflight (OPTIONS carries no
# Authorization header), so a function that browsers call must be invokable by
# allUsers at the IAM level. It then does its own checks on every request:
# exact-origin CORS, and the policy's `access.callers` / App Check.
# Organisations that enforce domain-restricted sharing refuse allUsers: with
# public_invoker = "none" no binding is made and the output
# public_invoker_commands lists the gcloud command that turns the invoker IAM
# check off for each public function instead (terraform/README.md).
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = var.public_invoker == "allUsers" ? module.profiles.public_profiles : {}

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.profile[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
