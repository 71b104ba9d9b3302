# An optional billing budget on the deployment's project, when var.budget names
# a billing account. It alerts (to the billing account's admins, and to the
# email channels) at 50%, 90% and 100% of the amount; by itself it never stops
# spending: the budget guard (budget_guard.tf) pauses the profiles.
# Creating it needs roles/billing.costsManager on the billing account, and with
# user credentials a quota project (var.billing_project, terraform/README.md).

data "google_project" "this" {
  count = var.budget == null ? 0 : 1

  project_id = var.project_id
}

resource "google_billing_budget" "project" {
  count = var.budget == null ? 0 : 1

  billing_account = var.budget.billing_account
  display_name    = "${var.name_prefix} on ${var.project_id}"

  budget_filter {
    projects = ["projects/${data.google_project.this[0].number}"]
  }

  amount {
    specified_amount {
      currency_code = var.budget.currency_code
      units         = tostring(var.budget.amount)
    }
  }

  dynamic "threshold_rules" {
    for_each = [0.5, 0.9, 1.0]
    content {
      threshold_percent = threshold_rules.value
    }
  }

  all_updates_rule {
    monitoring_notification_channels = local.alert_channels
    disable_default_iam_recipients   = false
    # With the guard: every update of the spend goes to its topic too
    # (budget_guard.tf), in the documented notification format 1.0.
    pubsub_topic   = local.budget_topic
    schema_version = local.guard_enabled ? "1.0" : null
  }

  lifecycle {
    # The Budget API takes at most 5 Monitoring channels per budget
    # (NotificationsRule.monitoringNotificationChannels); more fails the apply.
    precondition {
      condition     = length(local.alert_channels) <= 5
      error_message = "A billing budget notifies at most 5 notification channels, and alert_emails makes ${length(local.alert_channels)}. Keep 5 or fewer addresses (a group address reaches many people), or set budget = null."
    }
  }

  depends_on = [time_sleep.apis_ready]
}
