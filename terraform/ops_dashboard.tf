# One Cloud Monitoring dashboard for the deployment: mints, refusals by reason,
# Gemini latency and errors, key and quota problems, and the instances the
# functions run on.

locals {
  dashboard_charts = [
    { title = "Tokens minted by profile", metric = local.metric_type.tokens_minted, group_by = "metric.label.profile", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM" },
    { title = "Refusals by reason", metric = local.metric_type.refusals, group_by = "metric.label.reason", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM" },
    { title = "Gemini errors by reason", metric = local.metric_type.upstream_errors, group_by = "metric.label.reason", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM" },
    { title = "Gemini latency, 95th percentile (ms)", metric = "${local.metric_type_prefix}${google_logging_metric.upstream_latency.name}", group_by = "metric.label.profile", aligner = "ALIGN_DELTA", reducer = "REDUCE_PERCENTILE_95" },
    { title = "API key read failures", metric = local.metric_type.secret_failures, group_by = "metric.label.reason", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM" },
    { title = "Quota refusals by reason", metric = local.metric_type.quota_refusals, group_by = "metric.label.reason", aligner = "ALIGN_RATE", reducer = "REDUCE_SUM" },
  ]
}

resource "google_monitoring_dashboard" "tokenvend" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "tokenvend (${var.name_prefix})"
    mosaicLayout = {
      columns = 48
      tiles = concat(
        [
          for i, chart in local.dashboard_charts : {
            xPos   = (i % 2) * 24
            yPos   = floor(i / 2) * 16
            width  = 24
            height = 16
            widget = {
              title = chart.title
              xyChart = {
                dataSets = [{
                  plotType = "LINE"
                  timeSeriesQuery = {
                    timeSeriesFilter = {
                      filter = "metric.type=\"${chart.metric}\" AND ${local.on_functions}"
                      aggregation = {
                        alignmentPeriod    = "60s"
                        perSeriesAligner   = chart.aligner
                        crossSeriesReducer = chart.reducer
                        groupByFields      = [chart.group_by]
                      }
                    }
                  }
                }]
              }
            }
          }
        ],
        [{
          xPos   = 0
          yPos   = ceil(length(local.dashboard_charts) / 2) * 16
          width  = 48
          height = 16
          widget = {
            title = "Instances per function"
            xyChart = {
              dataSets = [{
                plotType = "STACKED_AREA"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"run.googleapis.com/container/instance_count\" AND ${local.on_functions} AND resource.label.service_name=monitoring.regex.full_match(\"${var.name_prefix}-.*\")"
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = "ALIGN_MAX"
                      crossSeriesReducer = "REDUCE_SUM"
                      groupByFields      = ["resource.label.service_name"]
                    }
                  }
                }
              }]
            }
          }
        }],
      )
    }
  })

  depends_on = [time_sleep.apis_ready]
}
