# CPU: every function gets 1 vCPU. Below 1 vCPU Cloud Run serves one request per
# instance, so a burst of browsers would hit max_instances at once and each cold
# start would run on a fraction of a CPU. With 1 vCPU one instance serves
# function_config.concurrency requests (the work is waiting on Gemini and Secret
# Manager), and THREADS gives functions-framework's gunicorn as many threads.
# Idle cost is unchanged: with min_instances 0 nothing is billed while idle.

resource "google_cloudfunctions2_function" "profile" {
  #checkov:skip=CKV_GCP_124:Browsers on the public internet call these functions directly, so ingress must allow all; each request is checked against the policy's origins, callers and App Check (iam.tf).
  for_each = module.profiles.profiles

  project     = var.project_id
  location    = var.region
  name        = each.value.function_name
  description = each.value.description
  labels      = merge(local.labels, { "tokenvend-profile" = each.key })

  build_config {
    runtime         = var.function_config.runtime
    entry_point     = "mint_token"
    service_account = var.build_service_account == null ? null : "projects/${var.project_id}/serviceAccounts/${var.build_service_account}"

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }

    # Security patches of the base image are applied without a redeploy.
    automatic_update_policy {}
  }

  service_config {
    available_cpu                    = "1"
    available_memory                 = each.value.available_memory
    min_instance_count               = each.value.min_instances
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = var.function_config.concurrency
    timeout_seconds                  = var.function_config.timeout_seconds
    # Browsers call it from anywhere; access is decided per request (iam.tf).
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.function[each.key].email

    environment_variables = merge(each.value.environment, {
      TOKENVEND_API_KEY_SECRET = local.secret_name
      THREADS                  = tostring(var.function_config.concurrency)
      # Lets each request's log line link to its trace in Cloud Trace.
      GOOGLE_CLOUD_PROJECT = var.project_id
    })
  }

  # The first instance must be able to read the key as soon as it starts.
  depends_on = [
    google_project_service.enabled,
    google_secret_manager_secret_iam_member.function,
  ]
}
