# The function source: an allowlist of repository files (modules/source-files),
# named by a hash of every file's name and content. The build step
# (build.tf) zips exactly those files and uploads the archive under that name
# before it builds, so the archive is not a Terraform resource: neither plan nor
# state holds the files' text, and the lifecycle rule below deleting an old
# archive (the live one included, once it is old) changes nothing Terraform
# tracks. Any change to the code, the pinned requirements or a policy gives a
# new name, hence a new image, hence a new revision of every service.

module "source_files" {
  source = "./modules/source-files"

  repo_root    = local.repo_root
  policies_dir = local.policies_dir
}

locals {
  source_object   = "${var.name_prefix}/source-${module.source_files.sha256}.zip"
  source_location = "gs://${google_storage_bucket.source.name}/${local.source_object}"
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

  # Builds read an archive only while they run; the build step uploads it again
  # whenever it builds. (A rebuild from the console's "edit source" after this
  # many days needs `make deploy` instead.)
  lifecycle_rule {
    condition {
      age            = var.source_retention_days
      matches_prefix = ["${var.name_prefix}/"]
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
