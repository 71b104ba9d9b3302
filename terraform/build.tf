# The image the services run, built from source the way Cloud Run builds a
# function: Cloud Run's build API, Google Cloud's buildpacks with the Functions
# Framework, on the runtime base image, enrolled in automatic base image
# updates, run as a dedicated build service account (new organisations grant
# the default compute account nothing, so a build that runs as it fails).
#
# google_cloud_run_v2_service's build_config (services.tf) records how a service
# was built but starts no build (terraform-provider-google#22263, #23057), so
# terraform_data.image runs terraform/scripts/build_image.py once per image:
# upload the archive (source.tf), submit the build, wait for it. The image's tag
# is a hash of the source, the base image and the entry point, so any change to
# them is a new image, hence a new revision; nothing else rebuilds.

locals {
  create_build_account = var.build_service_account == null
  build_account_email = (
    local.create_build_account
    ? google_service_account.build[0].email
    : var.build_service_account
  )
  # The build API and build_config take the full resource name.
  build_account_name = "projects/${var.project_id}/serviceAccounts/${local.build_account_email}"

  # One image per entry point of main.py. Every profile runs mint_token; another
  # kind of service adds its entry point here and a module call of its own
  # (budget_guard.tf).
  entry_points = concat(["mint_token"], local.guard_enabled ? ["budget_guard"] : [])

  base_image = "${var.region}-docker.pkg.dev/serverless-runtimes/${var.function_config.base_image_stack}/runtimes/${var.function_config.runtime}"
  image_repository = join("/", [
    "${var.region}-docker.pkg.dev",
    var.project_id,
    google_artifact_registry_repository.images.repository_id,
  ])
  images = {
    for target in local.entry_points : target => format(
      "%s/%s:%s",
      local.image_repository,
      replace(target, "_", "-"),
      substr(sha256(jsonencode([module.source_files.sha256, local.base_image, target])), 0, 32),
    )
  }
}

resource "google_service_account" "build" {
  count = local.create_build_account ? 1 : 0

  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "tokenvend builds"
  description  = "Cloud Build identity for the tokenvend image: reads the uploaded source, writes build logs and the image."

  depends_on = [time_sleep.apis_ready]
}

# roles/run.builder by default: what Google documents for the build service
# account of Cloud Run functions and source deploys.
resource "google_project_iam_member" "build" {
  for_each = toset(local.create_build_account ? var.build_service_account_roles : [])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.build[0].email}"
}

# Whatever the project roles say, the build reads the source from this bucket
# and pushes to this repository: grants on the two resources only.
resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${local.build_account_email}"
}

resource "google_artifact_registry_repository_iam_member" "build_writes_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.id
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${local.build_account_email}"
}

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:The images are built from this public repository's code and hold no data or secrets; Google-managed encryption suffices, CMEK would add a key to operate for nothing.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-images"
  format        = "DOCKER"
  description   = "tokenvend function images, built from source by terraform/build.tf."
  labels        = local.labels

  # The newest images stay, whatever their age, so the running revision and
  # the one before it can always start; the rest go after 30 days.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-newest"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.image_build.keep_images
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "terraform_data" "image" {
  for_each = local.images

  # The tag names what is built: a new tag is a new build, and nothing else is.
  triggers_replace = each.value
  input            = each.value

  provisioner "local-exec" {
    interpreter = [var.build_python, abspath("${path.module}/scripts/build_image.py")]
    command     = "build"
    environment = {
      TOKENVEND_BUILD_SPEC = jsonencode({
        project         = var.project_id
        region          = var.region
        bucket          = google_storage_bucket.source.name
        object          = local.source_object
        files           = module.source_files.files
        source_sha256   = module.source_files.sha256
        image           = each.value
        function_target = each.key
        base_image      = local.base_image
        service_account = local.build_account_name
        timeout_seconds = var.image_build.timeout_seconds
      })
    }
  }

  # Every grant in place and propagated (iam.tf) before the build runs.
  depends_on = [time_sleep.iam_ready]
}
