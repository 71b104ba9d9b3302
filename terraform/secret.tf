# The secret container only. There is deliberately no secret version resource
# anywhere in this configuration: a version written by Terraform would put the
# API key in plain text into the state. tests/terraform/test_plan.py fails if
# one appears.

resource "google_secret_manager_secret" "api_key" {
  count = var.api_key_secret.create ? 1 : 0

  project   = local.secret_project
  secret_id = var.api_key_secret.secret_id
  labels    = local.labels

  # Deleting the secret deletes every version of the key with it; a destroy
  # (or a mistyped secret_id) must be a deliberate second step.
  deletion_protection = var.api_key_secret.deletion_protection

  replication {
    dynamic "auto" {
      for_each = length(var.api_key_secret.replica_locations) == 0 ? [1] : []
      content {}
    }
    dynamic "user_managed" {
      for_each = length(var.api_key_secret.replica_locations) == 0 ? [] : [1]
      content {
        dynamic "replicas" {
          for_each = var.api_key_secret.replica_locations
          content {
            location = replicas.value
          }
        }
      }
    }
  }

  depends_on = [time_sleep.apis_ready]
}

# An existing secret is looked up so that a wrong id fails at plan time, not
# halfway through an apply.
data "google_secret_manager_secret" "api_key" {
  count = var.api_key_secret.create ? 0 : 1

  project   = local.secret_project
  secret_id = var.api_key_secret.secret_id
}
