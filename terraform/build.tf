# The identity Cloud Build uses to build the functions. New organisations no
# longer grant the default compute service account any role, so a build that
# runs as it fails; by default Terraform makes a dedicated build account with
# just what a Cloud Run functions build needs. Set var.build_service_account to
# use an existing account instead (Terraform then creates and grants nothing).

locals {
  create_build_account = var.build_service_account == null
  build_account_email = (
    local.create_build_account
    ? google_service_account.build[0].email
    : var.build_service_account
  )
  # build_config.service_account takes the full resource name.
  build_account_name = "projects/${var.project_id}/serviceAccounts/${local.build_account_email}"
}

resource "google_service_account" "build" {
  count = local.create_build_account ? 1 : 0

  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "tokenvend builds"
  description  = "Cloud Build identity for the tokenvend functions: writes build logs and images, reads the uploaded sources."

  depends_on = [time_sleep.apis_ready]
}

# Project-level on purpose: builds read the source from the bucket Cloud
# Functions copies it into (gcf-v2-sources-*), and write images to the
# gcf-artifacts repository, both of which Google creates on the first deploy.
resource "google_project_iam_member" "build" {
  for_each = toset(local.create_build_account ? var.build_service_account_roles : [])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.build[0].email}"
}

# IAM changes take a while to reach every service: without a pause, the first
# build after a fresh grant can still be refused.
resource "time_sleep" "iam_ready" {
  create_duration = "${var.iam_propagation_seconds}s"
  triggers = {
    build_roles = join(",", sort([for m in google_project_iam_member.build : m.role]))
  }

  depends_on = [
    google_project_iam_member.build,
    google_secret_manager_secret_iam_member.function,
    google_secret_manager_secret_iam_member.subject_hash_salt,
    google_project_iam_member.quota_datastore_user,
    google_project_iam_member.app_check_token_verifier,
  ]
}
