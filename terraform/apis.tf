locals {
  apis = [
    "artifactregistry.googleapis.com", # images built from the source archive
    "cloudbuild.googleapis.com",       # builds the functions
    "cloudfunctions.googleapis.com",   # Cloud Functions v2 API
    "iam.googleapis.com",              # service accounts
    "run.googleapis.com",              # the functions run as Cloud Run services
    "secretmanager.googleapis.com",    # the Gemini API key
    "storage.googleapis.com",          # the source bucket
  ]
}

resource "google_project_service" "enabled" {
  for_each = toset(var.enable_apis ? local.apis : [])

  project = var.project_id
  service = each.value

  # Other workloads in the project may use these APIs too.
  disable_on_destroy         = false
  disable_dependent_services = false
}
