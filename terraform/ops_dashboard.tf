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

  dashboard_widgets = concat(
    [
      for chart in local.dashboard_charts : {
        width = 24
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
      width = 48
      widget = {
        title = "Instances per function"
        xyChart = {
          dataSets = [{
            plotType = "STACKED_AREA"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = join(" AND ", [
                  "metric.type=\"run.googleapis.com/container/instance_count\"",
                  local.on_functions,
                  "resource.label.service_name=one_of(${join(",", [for s in local.profile_services : "\"${s}\""])})",
                ])
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

  # Two 24-column tiles a row, 16 rows high; the wide last one on a row alone.
  # The API drops a position of 0 from what it stores, so a tile written with
  # xPos = 0 would differ from it on every plan (terraform-provider-google
  # #16173): zero positions are left out, which the API reads as 0.
  dashboard_tiles = [
    for i, tile in local.dashboard_widgets : merge(
      { width = tile.width, height = 16, widget = tile.widget },
      { for axis, position in { xPos = (i % 2) * 24, yPos = floor(i / 2) * 16 } : axis => position if position != 0 },
    )
  ]
}

resource "google_monitoring_dashboard" "tokenvend" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName = "tokenvend (${var.name_prefix})"
    mosaicLayout = {
      columns = 48
      tiles   = local.dashboard_tiles
    }
  })

  depends_on = [time_sleep.apis_ready]
}
