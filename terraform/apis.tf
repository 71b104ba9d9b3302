# APIs the bundle needs, enabled before anything uses them. Enabling returns
# before every Google front end knows, so a first apply that creates resources
# right away fails with "API has not been used in project ... or it is
# disabled". Everything that calls one of these APIs depends on
# time_sleep.apis_ready, which waits var.api_propagation_seconds after the last
# service is enabled.

locals {
  apis = sort(concat(
    [
      "artifactregistry.googleapis.com",     # the image repository (build.tf)
      "cloudbuild.googleapis.com",           # builds the image from source
      "cloudresourcemanager.googleapis.com", # project IAM, the project number
      "iam.googleapis.com",                  # service accounts and project IAM
      "logging.googleapis.com",              # log-based metrics (ops_metrics.tf)
      "monitoring.googleapis.com",           # alert policies, dashboard, channels
      "run.googleapis.com",                  # the services and the build API
      "secretmanager.googleapis.com",        # the Gemini API key
      "storage.googleapis.com",              # the source bucket
    ],
    local.uses_firestore_api ? ["firestore.googleapis.com"] : [], # quota counters
    # verifyAppCheckToken (consume: true), when the Firebase project is this
    # one; a separate Firebase project that uses App Check has it on already.
    local.uses_app_check_api && local.app_check_project == var.project_id ? ["firebaseappcheck.googleapis.com"] : [],
    var.budget == null ? [] : ["billingbudgets.googleapis.com"],
    # The budget's topic and the trigger that delivers it to budget_guard.
    local.guard_enabled ? ["eventarc.googleapis.com", "pubsub.googleapis.com"] : [],
    var.custom_domain == null ? [] : ["compute.googleapis.com"], # the load balancer
  ))
}

resource "google_project_service" "enabled" {
  for_each = toset(var.enable_apis ? local.apis : [])

  project = var.project_id
  service = each.value

  # Other workloads in the project may use these APIs too.
  disable_on_destroy         = false
  disable_dependent_services = false
}

resource "time_sleep" "apis_ready" {
  count = var.enable_apis ? 1 : 0

  create_duration = "${var.api_propagation_seconds}s"
  # Wait again whenever the set of enabled services changes.
  triggers = {
    services = join(",", sort([for s in google_project_service.enabled : s.service]))
  }
}
