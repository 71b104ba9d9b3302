# Log-based metrics from the functions' one JSON log line per request
# (docs/operations.md). Provisioned with the functions because a log-based metric only counts
# from the moment it exists. Labels are the profile, the reason and the HTTP
# status: never the caller (a salted hash of a subject, unbounded and personal).

locals {
  # This deployment's services by exact name and region: a prefix would also
  # match another deployment's (name_prefix "tokenvend" matches
  # "tokenvend-staging-..."), and any service of a second kind.
  profile_services = sort([for p in module.profiles.profiles : p.function_name])
  on_profile_services = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.location=\"${var.region}\"",
    "resource.labels.service_name=(${join(" OR ", [for s in local.profile_services : "\"${s}\""])})",
  ])
  # Only the one line each request ends with counts: warnings logged along the
  # way (the quota store down, a key refresh failing) carry a reason too, but
  # no request ended with them.
  request_logs = join(" AND ", [
    local.on_profile_services,
    "jsonPayload.${local.request_line.field}=\"${local.request_line.value}\"",
  ])

  reason_is = { for k, code in local.reason_codes : k => "jsonPayload.reason=\"${code}\"" }
  reason_starts = {
    for k, prefix in local.reason_prefixes : k => "jsonPayload.reason=~\"^${prefix}\""
  }

  metric_filters = {
    tokens_minted = local.reason_is.minted
    refusals = join(" AND ", [
      "NOT ${local.reason_is.minted}",
      "NOT ${local.reason_is.preflight}",
    ])
    upstream_calls  = "(${local.reason_is.minted} OR ${local.reason_starts.upstream})"
    upstream_errors = local.reason_starts.upstream
    secret_failures = "(${local.reason_starts.secret} OR ${local.reason_is.no_api_key})"
    quota_refusals  = "jsonPayload.reason=(${join(" OR ", [for r in local.quota_reasons : "\"${r}\""])})"
  }

  # Alert policies wait for this (ops_alerts.tf): Monitoring refuses a policy on
  # a metric it does not know yet.
  metric_types = sort(concat(
    [for m in google_logging_metric.count : "${local.metric_type_prefix}${m.name}"],
    ["${local.metric_type_prefix}${google_logging_metric.upstream_latency.name}"],
    [for m in google_logging_metric.budget_guard : "${local.metric_type_prefix}${m.name}"],
  ))

  metric_descriptions = {
    tokens_minted   = "Ephemeral tokens minted (reason minted), by profile."
    refusals        = "Requests answered with an error, by profile, reason and HTTP status."
    upstream_calls  = "Requests that called Gemini (minted or an upstream_ failure), by profile: the denominator of the upstream error ratio."
    upstream_errors = "Gemini calls that failed (reason upstream_*), by profile and reason."
    secret_failures = "Requests refused because the API key could not be read (secret_*, no_api_key), by profile and reason."
    quota_refusals  = "Requests refused by quotas or the kill switch, by profile and reason."
  }

  metric_labels = {
    tokens_minted   = ["profile"]
    refusals        = ["profile", "reason", "status"]
    upstream_calls  = ["profile"]
    upstream_errors = ["profile", "reason"]
    secret_failures = ["profile", "reason"]
    quota_refusals  = ["profile", "reason"]
  }

  metric_type_prefix = "logging.googleapis.com/user/"
}

resource "google_logging_metric" "count" {
  for_each = local.metric_filters

  project     = var.project_id
  name        = "${var.name_prefix}_${each.key}"
  description = local.metric_descriptions[each.key]
  filter      = "${local.request_logs} AND ${each.value}"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "tokenvend ${replace(each.key, "_", " ")}"

    dynamic "labels" {
      for_each = local.metric_labels[each.key]
      content {
        key        = labels.value
        value_type = "STRING"
      }
    }
  }

  label_extractors = {
    for label in local.metric_labels[each.key] : label => "EXTRACT(jsonPayload.${label})"
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_logging_metric" "upstream_latency" {
  project     = var.project_id
  name        = "${var.name_prefix}_upstream_latency"
  description = "Time the Gemini auth_tokens call took (upstream_ms), failed calls included, by profile."
  filter      = "${local.request_logs} AND jsonPayload.upstream_ms:*"

  value_extractor = "EXTRACT(jsonPayload.upstream_ms)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "tokenvend upstream latency"

    labels {
      key        = "profile"
      value_type = "STRING"
    }
  }

  label_extractors = {
    profile = "EXTRACT(jsonPayload.profile)"
  }

  # 1 ms to about 50 s in 40 buckets of growing width.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 40
      growth_factor      = 1.31
      scale              = 1
    }
  }

  depends_on = [time_sleep.apis_ready]
}

# The budget guard's one line per notification, by reason: a separate service
# with a separate line (event budget_guard), so none of the request metrics
# above count it.
resource "google_logging_metric" "budget_guard" {
  count = local.guard_enabled ? 1 : 0

  project     = var.project_id
  name        = "${var.name_prefix}_budget_guard"
  description = "Budget notifications the budget guard handled, by reason (budget_paused, budget_under_threshold, budget_malformed, ...)."
  filter = join(" AND ", [
    "resource.type=\"cloud_run_revision\"",
    "resource.labels.location=\"${var.region}\"",
    "resource.labels.service_name=\"${local.guard_name}\"",
    "jsonPayload.${local.guard_line.field}=\"${local.guard_line.value}\"",
  ])

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "tokenvend budget guard"

    labels {
      key        = "reason"
      value_type = "STRING"
    }
  }

  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
  }

  depends_on = [time_sleep.apis_ready]
}

# New log-based metrics reach Cloud Monitoring after a while; an alert policy
# created before then fails with 404 "Cannot find metric(s)" (terraform-provider-
# google#11102). Waits again only when the set of metrics changes.
resource "time_sleep" "metrics_ready" {
  create_duration = "${var.metrics_propagation_seconds}s"
  triggers = {
    metrics = join(",", local.metric_types)
  }

  depends_on = [
    google_logging_metric.count,
    google_logging_metric.upstream_latency,
    google_logging_metric.budget_guard,
  ]
}
