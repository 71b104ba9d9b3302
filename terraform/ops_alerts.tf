# Alert policies on the log-based metrics. They exist with or without
# notification channels: without any, incidents still open in the console.
# Each waits for time_sleep.metrics_ready (ops_metrics.tf): Monitoring refuses a
# policy on a metric it does not know yet.

locals {
  metric_type = {
    for name, m in google_logging_metric.count : name => "${local.metric_type_prefix}${m.name}"
  }
  on_functions   = "resource.type=\"cloud_run_revision\""
  alert_channels = [for c in google_monitoring_notification_channel.email : c.id]
  alert_window   = "${var.alerts.window_minutes * 60}s"
}

resource "google_monitoring_alert_policy" "upstream_error_ratio" {
  project      = var.project_id
  display_name = "tokenvend: Gemini errors above ${var.alerts.upstream_error_ratio * 100}% of calls"
  # A ratio alone fires on two failures out of three calls at night: both the
  # ratio and a minimum number of calls must hold.
  combiner = "AND"
  severity = "ERROR"

  conditions {
    display_name = "upstream_* share of Gemini calls"
    condition_threshold {
      filter             = "metric.type=\"${local.metric_type.upstream_errors}\" AND ${local.on_functions}"
      denominator_filter = "metric.type=\"${local.metric_type.upstream_calls}\" AND ${local.on_functions}"
      comparison         = "COMPARISON_GT"
      threshold_value    = var.alerts.upstream_error_ratio
      duration           = "0s"
      aggregations {
        alignment_period     = local.alert_window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = local.alert_window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "at least ${var.alerts.min_upstream_calls} Gemini calls in ${var.alerts.window_minutes} min"
    condition_threshold {
      filter          = "metric.type=\"${local.metric_type.upstream_calls}\" AND ${local.on_functions}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerts.min_upstream_calls - 1
      duration        = "0s"
      aggregations {
        alignment_period     = local.alert_window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Gemini's auth_tokens endpoint is failing for more than ${var.alerts.upstream_error_ratio * 100}% of token requests. The metric ${google_logging_metric.count["upstream_errors"].name} has the reasons: upstream_quota is Gemini's 429 (the API key's project is out of quota), upstream_timeout/upstream_unreachable point at the network or Gemini, upstream_4xx at the key or the policy."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  notification_channels = local.alert_channels

  depends_on = [time_sleep.metrics_ready]
}

resource "google_monitoring_alert_policy" "secret_failures" {
  project      = var.project_id
  display_name = "tokenvend: the Gemini API key cannot be read"
  combiner     = "OR"
  severity     = "CRITICAL"

  conditions {
    display_name = "secret_* or no_api_key refusals"
    condition_threshold {
      filter          = "metric.type=\"${local.metric_type.secret_failures}\" AND ${local.on_functions}"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Functions could not read the Gemini API key from Secret Manager (${local.secret_name}). Check that the secret has an enabled version (`gcloud secrets versions list`) and that each function's service account still has roles/secretmanager.secretAccessor on it."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  notification_channels = local.alert_channels

  depends_on = [time_sleep.metrics_ready]
}

resource "google_monitoring_alert_policy" "traffic_spike" {
  project      = var.project_id
  display_name = "tokenvend: unusual number of tokens minted or refused"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "tokens minted in ${var.alerts.window_minutes} min"
    condition_threshold {
      filter          = "metric.type=\"${local.metric_type.tokens_minted}\" AND ${local.on_functions}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerts.minted_per_window
      duration        = "0s"
      aggregations {
        alignment_period     = local.alert_window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "requests refused in ${var.alerts.window_minutes} min"
    condition_threshold {
      filter          = "metric.type=\"${local.metric_type.refusals}\" AND ${local.on_functions}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alerts.refusals_per_window
      duration        = "0s"
      aggregations {
        alignment_period     = local.alert_window
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More tokens minted, or more requests refused, than usual (thresholds in var.alerts). A mint spike costs Gemini usage: check which profile (metric label `profile`) and consider pausing it (kill switch: Firestore document tokenvend_profiles/<profile> with paused: true, for profiles with quotas). A refusal spike by reason (label `reason`) shows scripted abuse or a broken client."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  notification_channels = local.alert_channels

  depends_on = [time_sleep.metrics_ready]
}

resource "google_monitoring_alert_policy" "quota" {
  project      = var.project_id
  display_name = "tokenvend: profile quota exhausted, profile paused or quota store down"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "profile-wide quota refusals"
    condition_threshold {
      filter = join(" AND ", [
        "metric.type=\"${local.metric_type.quota_refusals}\"",
        local.on_functions,
        "metric.label.reason=monitoring.regex.full_match(\"${join("|", local.quota_alert_reasons)}\")",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.profile", "metric.label.reason"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A profile is refusing every caller: its per_profile quota is used up (quota_exhausted_profile), it is paused by the kill switch (profile_paused: Firestore document tokenvend_profiles/<profile>), or the quota store is unreachable (quota_store_unavailable). Per-caller limits alone do not fire this alert."
  }

  alert_strategy {
    auto_close = "1800s"
  }

  notification_channels = local.alert_channels

  depends_on = [time_sleep.metrics_ready]
}

# The budget guard's news: minting stopped on purpose, or the guard cannot do
# its job. Both exist only with the guard.
locals {
  guard_alerts = local.guard_enabled ? {
    paused = {
      display_name = "tokenvend: the budget guard paused every profile"
      severity     = "CRITICAL"
      condition    = "the guard logged ${local.reason_codes.budget_paused}"
      reasons      = [local.reason_codes.budget_paused]
      content      = "Spend reached ${var.budget_guard.pause_at_percent}% of the budget, and the budget guard paused every profile: apps get 503 PROFILE_PAUSED until a profile is resumed. The guard's log line (service ${local.guard_name}) names the spend and the profiles. After raising the budget or finding the cause, `python -m tokenvend resume PROFILE` mints again; the guard does not pause again this budget period unless the budget or the threshold changes (docs/operations.md)."
      auto_close   = "86400s"
    }
    failed = {
      display_name = "tokenvend: the budget guard cannot act on the budget's notifications"
      severity     = "ERROR"
      condition    = join(" or ", local.guard_failed_reasons)
      reasons      = local.guard_failed_reasons
      content      = "A budget notification reached the budget guard (service ${local.guard_name}) and it could not act: budget_malformed means the notification could not be read (the guard then guards nothing; its log line says which field), budget_store_unavailable means Firestore refused or timed out while pausing (Pub/Sub delivers the notification again; check the guard account's roles/datastore.user grant)."
      auto_close   = "1800s"
    }
  } : {}
}

resource "google_monitoring_alert_policy" "budget_guard" {
  for_each = local.guard_alerts

  project      = var.project_id
  display_name = each.value.display_name
  combiner     = "OR"
  severity     = each.value.severity

  conditions {
    display_name = each.value.condition
    condition_threshold {
      filter = join(" AND ", [
        "metric.type=\"${local.metric_type_prefix}${google_logging_metric.budget_guard[0].name}\"",
        local.on_functions,
        "metric.label.reason=monitoring.regex.full_match(\"${join("|", each.value.reasons)}\")",
      ])
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.reason"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.content
  }

  alert_strategy {
    auto_close = each.value.auto_close
  }

  notification_channels = local.alert_channels

  depends_on = [time_sleep.metrics_ready]
}
