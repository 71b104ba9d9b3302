# The function source: an allowlist of repository files, zipped and uploaded
# under a name that contains the archive's SHA-256. Any change to the code, the
# pinned requirements or a policy gives a new object name, which changes every
# function's build source and so redeploys them.

module "source_files" {
  source = "./modules/source-files"

  repo_root    = local.repo_root
  policies_dir = local.policies_dir
}

data "archive_file" "source" {
  type        = "zip"
  output_path = "${path.module}/.build/${var.name_prefix}-source.zip"

  dynamic "source" {
    for_each = module.source_files.files
    content {
      filename = source.key
      content  = file(source.value)
    }
  }
}

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Access logs of a private bucket that only Terraform and Cloud Build read add cost and no insight; Cloud Audit Logs record admin access.
  #checkov:skip=CKV_GCP_78:Objects are never overwritten (content-hashed names) and are rebuilt from git, so versioning would only keep dead copies.
  project  = var.project_id
  name     = "${var.project_id}-${var.name_prefix}-source"
  location = upper(var.region)
  labels   = local.labels

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Only reproducible build inputs live here: destroy may empty the bucket.
  force_destroy = true

  lifecycle_rule {
    condition {
      age = var.source_retention_days
    }
    action {
      type = "Delete"
    }
  }

  # Deleted archives are not kept (and billed) for the default 7 days.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_storage_bucket_object" "source" {
  bucket       = google_storage_bucket.source.name
  name         = "${var.name_prefix}/source-${data.archive_file.source.output_sha256}.zip"
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}
