# Least privilege, per function:
# - its own service account, with no project-level role except
#   roles/datastore.user for profiles with quotas and roles/datastore.viewer for
#   those that only read the kill switch (firestore.tf), both limited by an IAM
#   condition to the quota database, and roles/firebaseappcheck.tokenVerifier
#   on the Firebase project for profiles with access.app_check.consume: true;
#   stdout logs reach Cloud Logging through the platform, which needs no role;
# - secretAccessor on the API-key secret and, when var.subject_hash_salt_secret
#   is set, on the salt secret; nothing else;
# - who may invoke it: modules/run-service (var.public_invoker).

resource "google_service_account" "function" {
  for_each = module.profiles.profiles

  project      = var.project_id
  account_id   = each.value.service_account_id
  display_name = "tokenvend ${each.key}"
  description  = "Runtime identity of the tokenvend function for profile ${each.key} (${each.value.file}); may only read the Gemini API key secret${each.value.quotas ? " and its quota counters" : each.value.kill_switch ? " and its kill switch" : ""}."

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
# secret: every function reads it as TOKENVEND_SUBJECT_HASH_SALT (services.tf).
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

# IAM changes take typically 2 and up to 7 minutes to reach every service
# (Google's IAM documentation). A build that starts before its account's roles
# arrive fails, a revision whose account cannot read a secret environment
# variable (the salt) is not ready, and a function that cannot read the key or
# its counters answers 503: so everything the first instance needs is waited
# for, and the wait runs again whenever any of these grants changes (a new
# profile, another salt secret, a build role), not only for the build roles.
locals {
  iam_grants = {
    build_project = [for role, m in google_project_iam_member.build : "${m.project} ${role}"]
    build_source  = ["${google_storage_bucket_iam_member.build_reads_source.bucket} ${google_storage_bucket_iam_member.build_reads_source.role}"]
    build_images  = ["${google_artifact_registry_repository.images.repository_id} ${google_artifact_registry_repository_iam_member.build_writes_images.role}"]
    api_key       = [for p, m in google_secret_manager_secret_iam_member.function : "${m.project}/${m.secret_id} ${p}"]
    salt          = [for p, m in google_secret_manager_secret_iam_member.subject_hash_salt : "${m.project}/${m.secret_id} ${p}"]
    quota         = [for p, m in google_project_iam_member.quota_datastore_user : "${m.project} ${m.condition[0].expression} ${p}"]
    switch        = [for p, m in google_project_iam_member.switch_datastore_viewer : "${m.project} ${m.condition[0].expression} ${p}"]
    app_check     = [for p, m in google_project_iam_member.app_check_token_verifier : "${m.project} ${p}"]
    budget_guard  = [for m in google_project_iam_member.budget_guard_datastore_user : "${m.project} ${m.condition[0].expression}"]
    budget_topic  = [for m in google_pubsub_topic_iam_member.budget_publisher : "${m.topic} ${m.role}"]
  }
}

resource "time_sleep" "iam_ready" {
  create_duration = "${var.iam_propagation_seconds}s"
  triggers        = { for kind, grants in local.iam_grants : kind => join(",", sort(grants)) }

  depends_on = [
    google_project_iam_member.build,
    google_storage_bucket_iam_member.build_reads_source,
    google_artifact_registry_repository_iam_member.build_writes_images,
    google_secret_manager_secret_iam_member.function,
    google_secret_manager_secret_iam_member.subject_hash_salt,
    google_project_iam_member.quota_datastore_user,
    google_project_iam_member.switch_datastore_viewer,
    google_project_iam_member.app_check_token_verifier,
    google_project_iam_member.budget_guard_datastore_user,
    google_pubsub_topic_iam_member.budget_publisher,
  ]
}
