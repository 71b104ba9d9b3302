# The root module's choices for projects that differ from the default, planned
# with mock providers (no credentials, no network). mock_provider still needs
# each provider's schema: `make tf-plan` runs these tests against the offline
# stand-in provider (tests/terraform/standin), which serves the real schemas.
# Each run starts every provider, so each run covers several choices at once.

# Each run plans only: no provisioner runs, so the image build step is not
# exercised here (tests/terraform/test_build_image.py and the offline apply of
# `make tf-plan` are).

mock_provider "google" {}
mock_provider "time" {}

variables {
  project_id                  = "tokenvend-plan-test"
  region                      = "europe-west1"
  api_propagation_seconds     = 0
  iam_propagation_seconds     = 0
  metrics_propagation_seconds = 0
}

# A locked-down organisation: its own build account, APIs enabled by a platform
# team, and domain-restricted sharing (the default invoker mode needs no allUsers).
run "a_locked_down_organisation_brings_its_own_accounts_and_apis" {
  command = plan

  variables {
    build_service_account = "builder@tokenvend-plan-test.iam.gserviceaccount.com"
    enable_apis           = false
  }

  assert {
    condition     = length(google_service_account.build) == 0 && length(google_project_iam_member.build) == 0
    error_message = "With build_service_account set, Terraform must neither create a build account nor grant project roles."
  }

  assert {
    condition     = google_storage_bucket_iam_member.build_reads_source.member == "serviceAccount:builder@tokenvend-plan-test.iam.gserviceaccount.com" && google_artifact_registry_repository_iam_member.build_writes_images.member == "serviceAccount:builder@tokenvend-plan-test.iam.gserviceaccount.com"
    error_message = "The given build account reads the source bucket and writes the image repository, and nothing more is granted."
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
    condition     = contains(output.public_profiles, "voice-assistant")
    error_message = "The shipped profile is public."
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
    condition     = output.firestore_database == "(default)"
    error_message = "The quota profiles use the database named in firestore."
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
    condition     = local.salt_environment.TOKENVEND_SUBJECT_HASH_SALT.secret == "projects/secrets-prj-1/secrets/salt" && local.salt_environment.TOKENVEND_SUBJECT_HASH_SALT.version == "2"
    error_message = "The salt secret of another project is named in full, at the pinned version."
  }

  assert {
    condition     = google_secret_manager_secret_iam_member.subject_hash_salt["metered"].project == "secrets-prj-1"
    error_message = "secretAccessor is granted on the salt secret in its own project."
  }
}

# A load balancer of the user's own in front (no custom_domain): the functions
# trust its hop and only it may reach them.
run "proxy_hops_close_run_app_to_the_internet" {
  command = plan

  variables {
    trusted_proxy_hops = 2
  }

  assert {
    condition     = local.ingress == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" && local.trusted_proxy_hops == 2
    error_message = "With trusted proxy hops, ingress must be internal-and-load-balancer, so nobody can forge X-Forwarded-For through run.app."
  }

  assert {
    condition     = length(module.custom_domain) == 0
    error_message = "Proxy hops alone create no load balancer."
  }
}

run "no_proxy_hops_keep_ingress_open_for_browsers" {
  command = plan

  assert {
    condition     = local.ingress == "INGRESS_TRAFFIC_ALL" && local.trusted_proxy_hops == 0
    error_message = "Without a load balancer, browsers call run.app directly."
  }

  assert {
    condition     = local.invoker_for["true"].iam_check == false && length(local.invoker_for["true"].members) == 0 && local.invoker_for["false"].iam_check == true
    error_message = "By default public profiles turn the invoker check off (no allUsers), private ones keep it."
  }
}

run "invalid_inputs_are_refused" {
  command = plan

  variables {
    alert_emails             = ["Ops Team <ops@example.com>"]
    budget                   = { billing_account = "billingAccounts/0123", amount = 20 }
    public_invoker           = "allUsers"
    firestore                = { database = "Quotas" }
    alerts                   = { upstream_error_ratio = 20 }
    subject_hash_salt_secret = { secret_id = "salt", version = "latest" }
    custom_domain            = { domain = "https://tokens.example.com/" }
  }

  expect_failures = [var.alert_emails, var.budget, var.public_invoker, var.firestore, var.alerts, var.subject_hash_salt_secret, var.custom_domain]
}

# A budget sends to at most 5 channels: a sixth address is refused at plan time.
run "a_budget_refuses_more_than_five_channels" {
  command = plan

  variables {
    budget       = { billing_account = "012345-6789AB-CDEF01", amount = 20 }
    alert_emails = ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com", "f@example.com"]
  }

  expect_failures = [google_billing_budget.project]
}
