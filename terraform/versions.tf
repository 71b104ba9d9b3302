terraform {
  # 1.7: `terraform test` with mock_provider and expect_failures on outputs,
  # validations that reference the variable's own attributes.
  required_version = ">= 1.7.0"

  # Each provider is held to the major version the offline checks cover
  # (`make tf-plan` plans against google 6.50.0's real schema).
  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.50: the schema the offline plan checks against.
      version = ">= 6.50.0, < 7.0.0"
    }
    time = {
      source = "hashicorp/time"
      # time_sleep (apis.tf, iam.tf, ops_metrics.tf); 0.13 is what the offline
      # checks cover.
      version = ">= 0.13.0, < 1.0.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  # With user credentials (gcloud auth application-default login) some APIs
  # (billing budgets, Service Usage) need a quota project: billing_project names
  # it and user_project_override makes the provider send it (terraform/README.md).
  billing_project       = var.billing_project
  user_project_override = var.billing_project == null ? null : true

  # Terraform labels every resource it can with these, on top of var.labels.
  default_labels = {
    "managed-by" = "terraform"
  }
}
