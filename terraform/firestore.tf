# Quota counters and the kill switch (docs/operations.md): the Firestore
# database (a dedicated one by default, or an existing one such as "(default)"),
# a TTL policy that deletes expired counter windows, roles/datastore.user for the
# quota profiles' service accounts and roles/datastore.viewer for those of
# profiles that only read the kill switch (kill_switch: true).
#
# The dedicated database is created on the first apply, quotas or not, and
# kept: were it created only while a policy has quotas, removing the last
# quotas section would abandon it (Terraform never deletes it) and adding one
# back would fail with 409 "already exists". An empty database costs nothing.
# The TTL policy comes and goes with the quota profiles, the grants with the
# profiles that use Firestore.

locals {
  quota_profiles       = module.profiles.quota_profiles
  switch_only_profiles = module.profiles.switch_only_profiles
  counts_in_firestore  = length(local.quota_profiles) > 0
  uses_firestore       = local.counts_in_firestore || length(local.switch_only_profiles) > 0
  create_database      = var.firestore.create_database
  # budget_guard writes the kill switches (and a marker counter) there too.
  uses_firestore_api      = local.create_database || local.uses_firestore || local.guard_enabled
  firestore_database      = coalesce(var.firestore.database, "${var.name_prefix}-quotas")
  firestore_database_name = "projects/${var.project_id}/databases/${local.firestore_database}"

  # Names the function's quota code uses: one place here.
  counters_collection = "tokenvend_counters"
  counters_expiry     = "expire_at"
}

resource "google_firestore_database" "quotas" {
  count = local.create_database ? 1 : 0

  project     = var.project_id
  name        = local.firestore_database
  location_id = coalesce(var.firestore.location, var.region)
  type        = "FIRESTORE_NATIVE"

  # Counters are cheap to lose but a deleted database name cannot be reused for
  # a while: refuse accidental deletion, and leave it in place on destroy.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [time_sleep.apis_ready]
}

# Firestore deletes a counter document once its expire_at has passed (within a
# day or so: the function never trusts an expired window anyway). The field's
# single-field indexes are turned off: TTL fields holding timestamps that all
# move forward together are a write hot spot Firestore's docs warn against.
resource "google_firestore_field" "counters_ttl" {
  count = local.counts_in_firestore || local.guard_enabled ? 1 : 0

  project    = var.project_id
  database   = local.create_database ? google_firestore_database.quotas[0].name : local.firestore_database
  collection = local.counters_collection
  field      = local.counters_expiry

  ttl_config {}
  index_config {}

  depends_on = [time_sleep.apis_ready]
}

# Firestore has no per-database IAM resource: the grant is project-level, and
# the condition limits it to the quota database.
resource "google_project_iam_member" "quota_datastore_user" {
  for_each = local.quota_profiles

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.function[each.key].email}"

  condition {
    title       = "${var.name_prefix}-quota-database"
    description = "Only the tokenvend quota database."
    expression  = "resource.name == \"${local.firestore_database_name}\""
  }
}

# Profiles that only read the kill switch never write: read access to the same
# database, and nothing else.
resource "google_project_iam_member" "switch_datastore_viewer" {
  for_each = local.switch_only_profiles

  project = var.project_id
  role    = "roles/datastore.viewer"
  member  = "serviceAccount:${google_service_account.function[each.key].email}"

  condition {
    title       = "${var.name_prefix}-quota-database"
    description = "Only the tokenvend quota database (its kill switch)."
    expression  = "resource.name == \"${local.firestore_database_name}\""
  }
}
