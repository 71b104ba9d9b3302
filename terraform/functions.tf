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
    service_account = local.build_account_name

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

    environment_variables = merge(
      each.value.environment,
      {
        TOKENVEND_API_KEY_SECRET = local.secret_name
        THREADS                  = tostring(var.function_config.concurrency)
        # Project of the quota database, and of the trace links in log lines.
        GOOGLE_CLOUD_PROJECT = var.project_id
      },
      # Only functions whose policy has quotas talk to Firestore (firestore.tf).
      each.value.quotas ? { TOKENVEND_FIRESTORE_DATABASE = local.firestore_database } : {},
    )

    # The salt of the caller hashes, from Secret Manager when one is named: the
    # same on every instance, so quota keys and log hashes agree (iam.tf).
    dynamic "secret_environment_variables" {
      for_each = local.salt_secret == null ? [] : [local.salt_secret]
      content {
        key        = "TOKENVEND_SUBJECT_HASH_SALT"
        project_id = secret_environment_variables.value.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  # APIs enabled, build account granted, and the runtime account able to read
  # the key (and its quota counters) before the first build and instance.
  depends_on = [
    time_sleep.apis_ready,
    time_sleep.iam_ready,
    google_firestore_field.counters_ttl,
  ]
}
