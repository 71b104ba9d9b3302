# The root module's choices for projects that differ from the default, planned
# with mock providers (no credentials, no network). mock_provider still needs
# each provider's schema: `make tf-plan` runs these tests against the offline
# stand-in provider (tests/terraform/standin), which serves the real schemas.
# Each run starts every provider, so each run covers several choices at once.

mock_provider "google" {}
mock_provider "archive" {}
mock_provider "time" {}

variables {
  project_id              = "tokenvend-plan-test"
  region                  = "europe-west1"
  api_propagation_seconds = 0
  iam_propagation_seconds = 0
}

# A locked-down organisation: its own build account, APIs enabled by a platform
# team, and domain-restricted sharing (no allUsers).
run "a_locked_down_organisation_brings_its_own_accounts_and_apis" {
  command = plan

  variables {
    build_service_account = "builder@tokenvend-plan-test.iam.gserviceaccount.com"
    enable_apis           = false
    public_invoker        = "none"
  }

  assert {
    condition     = length(google_service_account.build) == 0 && length(google_project_iam_member.build) == 0
    error_message = "With build_service_account set, Terraform must neither create a build account nor grant roles."
  }

  assert {
    condition     = google_cloudfunctions2_function.profile["voice-assistant"].build_config[0].service_account == "projects/tokenvend-plan-test/serviceAccounts/builder@tokenvend-plan-test.iam.gserviceaccount.com"
    error_message = "Builds must run as the given account (full resource name)."
  }

  assert {
    condition     = output.build_service_account == "builder@tokenvend-plan-test.iam.gserviceaccount.com"
    error_message = "The build_service_account output names the account builds run as."
  }

  assert {
    condition     = length(google_project_service.enabled) == 0 && length(time_sleep.apis_ready) == 0
    error_message = "enable_apis = false must leave project services alone."
  }

  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.public) == 0
    error_message = "public_invoker = \"none\" must not bind allUsers."
  }

  assert {
    condition     = output.public_invoker_commands["voice-assistant"] == "gcloud run services update tokenvend-voice-assistant --project tokenvend-plan-test --region europe-west1 --no-invoker-iam-check"
    error_message = "Each public profile gets the command that opens it without allUsers."
  }
}

# Quotas on the existing (default) database, user credentials with a quota
# project, a budget in the default currency, other build roles, App Check in a
# separate Firebase project, a pinned salt version in another project.
run "quotas_on_the_default_database_with_a_budget" {
  command = plan

  variables {
    policies_dir                = "tests/fixtures/policies-with-quotas"
    firestore                   = { create_database = false, database = "(default)" }
    billing_project             = "tokenvend-plan-test"
    budget                      = { billing_account = "012345-6789AB-CDEF01", amount = 20 }
    build_service_account_roles = ["roles/cloudbuild.builds.builder"]
    app_check_project_id        = "my-firebase-app"
    subject_hash_salt_secret    = { secret_id = "salt", project_id = "secrets-prj-1", version = "2" }
  }

  assert {
    condition     = length(google_firestore_database.quotas) == 0
    error_message = "create_database = false must not create a database."
  }

  assert {
    condition     = google_firestore_field.counters_ttl[0].database == "(default)"
    error_message = "The TTL policy goes on the database the counters use."
  }

  assert {
    condition     = google_cloudfunctions2_function.profile["metered"].service_config[0].environment_variables["TOKENVEND_FIRESTORE_DATABASE"] == "(default)"
    error_message = "The quota profile's function must be told the database."
  }

  assert {
    condition     = google_project_iam_member.quota_datastore_user["metered"].condition[0].expression == "resource.name == \"projects/tokenvend-plan-test/databases/(default)\""
    error_message = "roles/datastore.user is limited to the database in use."
  }

  assert {
    condition     = google_billing_budget.project[0].amount[0].specified_amount[0].currency_code == "USD"
    error_message = "The budget's currency defaults to USD."
  }

  assert {
    condition     = contains([for s in google_project_service.enabled : s.service], "billingbudgets.googleapis.com")
    error_message = "A budget needs the Billing Budgets API."
  }

  assert {
    condition     = keys(google_project_iam_member.build) == ["roles/cloudbuild.builds.builder"]
    error_message = "build_service_account_roles replaces the default roles."
  }

  assert {
    condition     = keys(google_project_iam_member.app_check_token_verifier) == ["app-checked"] && google_project_iam_member.app_check_token_verifier["app-checked"].project == "my-firebase-app"
    error_message = "The App Check token verifier role goes on app_check_project_id, for the consume profile only."
  }

  assert {
    condition     = !contains([for s in google_project_service.enabled : s.service], "firebaseappcheck.googleapis.com")
    error_message = "The App Check API of a separate Firebase project is that project's; nothing is enabled here for it."
  }

  assert {
    condition     = google_cloudfunctions2_function.profile["open-demo"].service_config[0].secret_environment_variables[0].project_id == "secrets-prj-1" && google_cloudfunctions2_function.profile["open-demo"].service_config[0].secret_environment_variables[0].version == "2"
    error_message = "The salt secret is read from its own project, at the pinned version."
  }

  assert {
    condition     = google_secret_manager_secret_iam_member.subject_hash_salt["metered"].project == "secrets-prj-1"
    error_message = "secretAccessor is granted on the salt secret in its own project."
  }
}

run "invalid_inputs_are_refused" {
  command = plan

  variables {
    alert_emails   = ["Ops Team <ops@example.com>"]
    budget         = { billing_account = "billingAccounts/0123", amount = 20 }
    public_invoker = "domain"
    firestore      = { database = "Quotas" }
    alerts         = { upstream_error_ratio = 20 }
  }

  expect_failures = [var.alert_emails, var.budget, var.public_invoker, var.firestore, var.alerts]
}
