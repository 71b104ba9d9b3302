# The budget guard (docs/operations.md#the-budget-guard), with a budget
# (ops_budget.tf) and var.budget_guard.enabled: the budget publishes its spend
# to a Pub/Sub topic several times a day; an Eventarc trigger delivers each
# message as a CloudEvent to the budget_guard function (main.py's second entry
# point, built from the same source), which turns on the kill switch of every
# profile once spend reaches var.budget_guard.pause_at_percent.
#
# Who may do what:
# - the budget publishes as Google's billing-budget-alert@system.gserviceaccount.com,
#   granted roles/pubsub.publisher on this topic only (Cloud Billing's
#   programmatic notifications documentation);
# - the trigger runs as its own account, whose only grant is roles/run.invoker
#   on the guard's service (Eventarc needs no event-receiver role for direct
#   Pub/Sub events); nobody else may invoke it, and its ingress is internal:
#   Eventarc and Pub/Sub in the same project count as internal;
# - the guard runs as its own account with roles/datastore.user on the
#   quota database only (the kill-switch documents live there), and nothing else.

locals {
  guard_enabled = var.budget != null && var.budget_guard.enabled
  # The budget id is the last part of its name, billingAccounts/A/budgets/ID: the
  # budgetId attribute of its notifications.
  guarded_budget_id = local.guard_enabled ? regex("[^/]+$", google_billing_budget.project[0].name) : null
  budget_topic      = local.guard_enabled ? "projects/${var.project_id}/topics/${google_pubsub_topic.budget[0].name}" : null
  guard_name        = "${var.name_prefix}-budget-guard"
  # Known at plan time (the invoker binding is keyed by it); the account is
  # created before the service (the module's depends_on).
  guard_trigger_email = "${var.name_prefix}-guard-trigger@${var.project_id}.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "budget" {
  #checkov:skip=CKV_GCP_83:Budget notifications carry the spend of one budget, which the billing account's users see anyway; Google-managed encryption suffices, CMEK would add a key to operate for nothing.
  count = local.guard_enabled ? 1 : 0

  project = var.project_id
  name    = "${var.name_prefix}-budget"
  labels  = local.labels
  # Undelivered notifications are retried by the trigger's subscription; the
  # topic itself keeps nothing.

  depends_on = [time_sleep.apis_ready]
}

resource "google_pubsub_topic_iam_member" "budget_publisher" {
  count = local.guard_enabled ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.budget[0].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:billing-budget-alert@system.gserviceaccount.com"
}

resource "google_service_account" "budget_guard" {
  count = local.guard_enabled ? 1 : 0

  project      = var.project_id
  account_id   = local.guard_name
  display_name = "tokenvend budget guard"
  description  = "Runtime identity of the tokenvend budget_guard function: may only write the profiles' kill switches in the quota database."

  depends_on = [time_sleep.apis_ready]
}

resource "google_service_account" "budget_guard_trigger" {
  count = local.guard_enabled ? 1 : 0

  project      = var.project_id
  account_id   = split("@", local.guard_trigger_email)[0]
  display_name = "tokenvend budget guard trigger"
  description  = "Identity Eventarc delivers budget notifications with: may only invoke the budget_guard service."

  depends_on = [time_sleep.apis_ready]
}

# As for the quota profiles (firestore.tf): Firestore has no per-collection IAM,
# so the grant is the database's, named by the condition.
resource "google_project_iam_member" "budget_guard_datastore_user" {
  count = local.guard_enabled ? 1 : 0

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.budget_guard[0].email}"

  condition {
    title       = "${var.name_prefix}-budget-guard-database"
    description = "Only the tokenvend quota database, where the kill switches live."
    expression  = "resource.name == \"${local.firestore_database_name}\""
  }
}

module "budget_guard_service" {
  source = "./modules/run-service"
  count  = local.guard_enabled ? 1 : 0

  project_id  = var.project_id
  region      = var.region
  name        = local.guard_name
  description = "tokenvend budget_guard: pauses every profile when the budget's notifications say spend reached ${var.budget_guard.pause_at_percent}%."
  labels      = merge(local.labels, { "tokenvend-role" = "budget-guard" })

  image = local.images["budget_guard"]
  build = {
    source_location = local.source_location
    function_target = "budget_guard"
    base_image      = local.base_image
    service_account = local.build_account_name
  }

  service_account_email = google_service_account.budget_guard[0].email
  # Only Eventarc's push, signed as the trigger's account, gets in.
  ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  invoker = {
    iam_check = true
    members   = ["serviceAccount:${local.guard_trigger_email}"]
  }

  cpu             = "1"
  memory          = "256Mi"
  concurrency     = 4
  timeout_seconds = 60
  # A few notifications a day: one instance, started when one arrives.
  scaling = {
    min_instances = 0
    max_instances = 1
  }

  environment = {
    TOKENVEND_BUDGET_ID               = local.guarded_budget_id
    TOKENVEND_BUDGET_PAUSE_AT_PERCENT = tostring(var.budget_guard.pause_at_percent)
    TOKENVEND_FIRESTORE_DATABASE      = local.firestore_database
    # Nobody waits on the guard, and a cold instance's first Firestore call
    # also finds its credentials: a longer deadline than a mint's.
    TOKENVEND_FIRESTORE_TIMEOUT_SECONDS = "10"
    GOOGLE_CLOUD_PROJECT                = var.project_id
  }

  depends_on = [
    terraform_data.image,
    time_sleep.iam_ready,
    google_firestore_field.counters_ttl,
    google_service_account.budget_guard_trigger,
  ]
}

resource "google_eventarc_trigger" "budget_guard" {
  count = local.guard_enabled ? 1 : 0

  project         = var.project_id
  location        = var.region
  name            = local.guard_name
  labels          = local.labels
  service_account = local.guard_trigger_email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }

  transport {
    pubsub {
      topic = local.budget_topic
    }
  }

  destination {
    cloud_run_service {
      service = module.budget_guard_service[0].name
      region  = var.region
    }
  }

  # After the invoker binding (in the module). Until it has propagated (minutes,
  # like any IAM change), a delivery is refused and Pub/Sub delivers it again.
  depends_on = [module.budget_guard_service]
}
