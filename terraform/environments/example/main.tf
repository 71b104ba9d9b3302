# One environment (dev, staging, prod, ...) of tokenvend: its own state (a GCS
# backend, backend.hcl), its own project or name_prefix, its own policies (and
# so origins) in ./policies. The module is the repository's terraform/ folder,
# referenced, never copied: an upgrade of the checkout upgrades every
# environment at its next apply. Copy this folder per environment
# (terraform/environments/README.md).

terraform {
  required_version = ">= 1.7.0"

  # Bucket and prefix come from backend.hcl (terraform init -backend-config=backend.hcl),
  # so the same files serve every environment.
  backend "gcs" {}
}

module "tokenvend" {
  source = "../.."

  project_id   = var.project_id
  region       = var.region
  name_prefix  = var.name_prefix
  policies_dir = "${path.module}/policies"

  billing_project = var.billing_project
  alert_emails    = var.alert_emails
  budget          = var.budget
  budget_guard    = var.budget_guard
  custom_domain   = var.custom_domain
  build_python    = var.build_python
}
