# One Cloud Run service per profile, all running the mint_token image
# (build.tf), each as its own service account (iam.tf).
#
# CPU: every service gets 1 vCPU. Below 1 vCPU Cloud Run serves one request per
# instance, so a burst of browsers would hit max_instances at once and each cold
# start would run on a fraction of a CPU. With 1 vCPU one instance serves
# function_config.concurrency requests (the work is waiting on Gemini and Secret
# Manager), and THREADS gives functions-framework's gunicorn as many threads.
# Idle cost is unchanged: with min_instances 0 nothing is billed while idle.

locals {
  # Public profiles are opened by turning the invoker IAM check off, or by
  # bindings for var.public_invoker_members; private ones keep the check and
  # get no binding (their callers need roles/run.invoker).
  invoker_for = {
    for public in [true, false] : tostring(public) => {
      iam_check = !(public && var.public_invoker == "invoker_check_disabled")
      members   = public && var.public_invoker == "iam" ? var.public_invoker_members : []
    }
  }

  # With proxies of ours in front, nobody may skip them: run.app would let
  # anyone send a forged X-Forwarded-For and pick the address quotas count.
  ingress = local.trusted_proxy_hops > 0 ? "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" : "INGRESS_TRAFFIC_ALL"

  # A secret environment variable names a secret of the service's own project
  # by its bare id (the form the API keeps), any other by its full name.
  salt_environment = local.salt_secret == null ? {} : {
    TOKENVEND_SUBJECT_HASH_SALT = {
      secret = (
        local.salt_secret.project_id == var.project_id
        ? local.salt_secret.secret_id
        : "projects/${local.salt_secret.project_id}/secrets/${local.salt_secret.secret_id}"
      )
      version = local.salt_secret.version
    }
  }
}

module "profile_service" {
  source   = "./modules/run-service"
  for_each = module.profiles.profiles

  project_id  = var.project_id
  region      = var.region
  name        = each.value.function_name
  description = each.value.description
  labels      = merge(local.labels, { "tokenvend-profile" = each.key })

  # Known at plan time (a hash of what it is built from); built by
  # terraform_data.image before the service is created or updated.
  image = local.images["mint_token"]
  build = {
    source_location = local.source_location
    function_target = "mint_token"
    base_image      = local.base_image
    service_account = local.build_account_name
  }

  service_account_email = google_service_account.function[each.key].email
  ingress               = local.ingress
  invoker               = local.invoker_for[tostring(each.value.public)]

  cpu             = "1"
  memory          = each.value.available_memory
  concurrency     = var.function_config.concurrency
  timeout_seconds = var.function_config.timeout_seconds
  scaling = {
    min_instances = each.value.min_instances
    max_instances = each.value.max_instances
  }

  environment = merge(
    each.value.environment,
    {
      TOKENVEND_API_KEY_SECRET = local.secret_name
      THREADS                  = tostring(var.function_config.concurrency)
      # Project of the quota database, and of the trace links in log lines.
      GOOGLE_CLOUD_PROJECT = var.project_id
    },
    # Only functions whose policy has quotas or reads the kill switch talk to
    # Firestore (firestore.tf).
    each.value.kill_switch ? { TOKENVEND_FIRESTORE_DATABASE = local.firestore_database } : {},
    local.trusted_proxy_hops > 0 ? { TOKENVEND_TRUSTED_PROXY_HOPS = tostring(local.trusted_proxy_hops) } : {},
  )
  # The salt of the caller hashes, from Secret Manager when one is named: the
  # same pinned version on every instance, so quota keys and log hashes agree.
  secret_environment = local.salt_environment

  # The image is built, every grant a first instance needs has propagated
  # (iam.tf), and the quota counters expire (firestore.tf).
  depends_on = [terraform_data.image, time_sleep.iam_ready, google_firestore_field.counters_ttl]
}
