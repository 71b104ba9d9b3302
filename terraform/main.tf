# One Cloud Run service per file in the policies folder (../policies unless
# var.policies_dir says otherwise), built from source like a Cloud Run function.
# The profiles module reads the files; everything per profile is a for_each
# over its outputs, so adding a policy file adds exactly one service, one
# service account and its IAM bindings, and removing the file removes them.

module "profiles" {
  source = "./modules/profiles"

  policies_dir        = local.policies_dir
  name_prefix         = var.name_prefix
  max_instances_limit = var.max_instances_limit
}

locals {
  # The same folder is deployed, shipped in the source archive (source.tf) and,
  # by default, checked by `make validate`.
  policies_dir = coalesce(var.policies_dir, "${path.module}/../policies")
  repo_root    = "${path.module}/.."

  secret_project = coalesce(var.api_key_secret.project_id, var.project_id)
  secret_id = (
    var.api_key_secret.create
    ? google_secret_manager_secret.api_key[0].secret_id
    : data.google_secret_manager_secret.api_key[0].secret_id
  )
  # What the function reads; no version means "latest", so a new
  # version is picked up within the function's key cache TTL, no redeploy.
  secret_name = "projects/${local.secret_project}/secrets/${local.secret_id}"

  # The optional salt of the caller hashes (iam.tf, services.tf).
  salt_secret = var.subject_hash_salt_secret == null ? null : {
    project_id = coalesce(var.subject_hash_salt_secret.project_id, var.project_id)
    secret_id  = var.subject_hash_salt_secret.secret_id
    version    = var.subject_hash_salt_secret.version
  }

  # Firebase project of the App Check tokens, for replay protection (iam.tf).
  app_check_project  = coalesce(var.app_check_project_id, var.project_id)
  uses_app_check_api = length(module.profiles.app_check_consume_profiles) > 0

  # A load balancer of ours (custom_domain.tf) or the user's in front: the
  # functions then trust that many X-Forwarded-For hops, and only proxies in
  # Google's network may reach them (services.tf).
  trusted_proxy_hops = coalesce(var.trusted_proxy_hops, var.custom_domain == null ? 0 : 1)

  labels = merge(var.labels, { app = "tokenvend" })
}
