# Where alerts are sent: one email channel per address in var.alert_emails.
# With none, the alert policies still exist and their incidents show in the
# console's Monitoring > Alerting page.

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_emails)

  project      = var.project_id
  display_name = "tokenvend alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
  user_labels = local.labels

  depends_on = [time_sleep.apis_ready]
}
