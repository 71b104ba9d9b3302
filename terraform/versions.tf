terraform {
  # 1.7: `terraform test` with expect_failures on outputs, validations that
  # reference the variable's own attributes.
  required_version = ">= 1.7.0"

  required_providers {
    archive = {
      source = "hashicorp/archive"
      # 2.4 added output_sha256, used to name the source object.
      version = ">= 2.4.0, < 3.0.0"
    }
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0.0, < 8.0.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  # Terraform labels every resource it can with these, on top of var.labels.
  default_labels = {
    "managed-by" = "terraform"
  }
}
