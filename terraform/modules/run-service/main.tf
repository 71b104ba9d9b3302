# One Cloud Run service running a function image, the resource Google now
# deploys Cloud Run functions as: what it runs (template), how the image was
# built (build_config, for the console and `gcloud run deploy --source` to
# rebuild it the same way) and who may invoke it. The image itself is built by
# the caller (terraform/build.tf): build_config starts no build.

resource "google_cloud_run_v2_service" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = substr(var.description, 0, 512)
  labels      = var.labels
  # INGRESS_TRAFFIC_ALL: browsers on the internet call the service directly,
  # and each request is checked against the policy's origins, callers and App
  # Check. Behind a load balancer: internal-and-load-balancer (services.tf).
  ingress = var.ingress

  # Profiles come and go with their policy files; a removed file must remove
  # its service. (The provider's default, true, would make that apply fail.)
  deletion_protection = false

  # Public without an allUsers binding: the invoker check is off and the code
  # decides (Cloud Run documentation: "Disable the invoker IAM check").
  invoker_iam_disabled = !var.invoker.iam_check

  template {
    service_account                  = var.service_account_email
    max_instance_request_concurrency = var.concurrency
    timeout                          = "${var.timeout_seconds}s"

    scaling {
      min_instance_count = var.scaling.min_instances
      max_instance_count = var.scaling.max_instances
    }

    containers {
      image = var.image
      # Enrols the service in automatic base image updates: Cloud Run patches
      # this base under the running image, without a rebuild or redeploy.
      base_image_uri = var.build.base_image

      # What Cloud Run would fill in anyway, written out so that nothing the
      # API returns differs from the configuration.
      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # Billed like a function: CPU only while a request is served. The boost
        # shortens cold starts, which every first visitor waits for.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.environment
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secret_environment
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value.secret
              version = env.value.version
            }
          }
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  build_config {
    source_location          = var.build.source_location
    function_target          = var.build.function_target
    image_uri                = var.image
    base_image               = var.build.base_image
    enable_automatic_updates = true
    service_account          = var.build.service_account
  }

  lifecycle {
    # gcloud stamps the client it deployed with; a manual redeploy must not
    # leave a diff behind.
    ignore_changes = [client, client_version]
  }
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = toset(var.invoker.iam_check ? var.invoker.members : [])

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = each.value
}
