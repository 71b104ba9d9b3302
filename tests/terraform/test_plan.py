"""What `terraform plan` of the root module creates, read from the real plan
(stand-in provider with the real google 6.50.0 schema, see standin/).

Two plans: `default` deploys the repository's policies/ with every default;
`quotas` a fixture folder with one quota profile and one App Check consume
profile, email channels, a budget and the caller-hash salt from a secret.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass

import yaml

from tests.terraform.planview import Plan
from tests.terraform.tfconfig import REPO, TF_DIR, policy_files
from tests.terraform.workspace import QUOTA_FIXTURE

BUILD_ROLES = {
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
    "roles/storage.objectViewer",
}


@dataclass
class Deploy:
    public: bool
    min_instances: int
    max_instances: int
    memory_mb: int


def expected_profiles(folder: pathlib.Path) -> dict[str, Deploy]:
    """Profile name -> deploy section with the policy schema's defaults, read from the
    YAML (the fixture's quotas section is not in this branch's policy schema)."""
    profiles = {}
    for path in policy_files(folder):
        deploy = yaml.safe_load(path.read_text(encoding="utf-8"))["deploy"]
        profiles[path.stem] = Deploy(
            deploy["public"],
            deploy.get("min_instances", 0),
            deploy.get("max_instances", 10),
            deploy.get("memory_mb", 256),
        )
    return profiles


def test_each_policy_file_is_one_function_with_its_own_account_env_and_bounds(
    plans: dict[str, Plan],
) -> None:
    for plan, folder in ((plans["default"], REPO / "policies"), (plans["quotas"], QUOTA_FIXTURE)):
        policies = expected_profiles(folder)
        functions = plan.of("google_cloudfunctions2_function.profile")
        accounts = plan.of("google_service_account.function")
        assert sorted(functions) == sorted(policies)
        assert sorted(accounts) == sorted(policies)
        assert len({a.after["account_id"] for a in accounts.values()}) == len(policies)
        for name, function in functions.items():
            deploy = policies[name]
            (service,) = function.after["service_config"]
            assert function.after["name"] == f"tokenvend-{name}"
            assert service["min_instance_count"] == deploy.min_instances
            assert service["max_instance_count"] == deploy.max_instances
            assert service["available_memory"] == f"{deploy.memory_mb}Mi"
            env = service["environment_variables"]
            assert env["TOKENVEND_PROFILE"] == name
            assert env["TOKENVEND_API_KEY_SECRET"] == (
                "projects/tokenvend-plan-test/secrets/tokenvend-gemini-api-key"
            )
            assert env["GOOGLE_CLOUD_PROJECT"] == "tokenvend-plan-test"
            (build,) = function.after["build_config"]
            assert build["entry_point"] == "mint_token"
        # Each function runs as its own account (the email exists after apply).
        config = plan.config("google_cloudfunctions2_function.profile")
        runtime = config["expressions"]["service_config"][0]["service_account_email"]
        assert "google_service_account.function" in runtime["references"]


def test_only_public_profiles_get_the_allusers_invoker(plans: dict[str, Plan]) -> None:
    for plan, folder in ((plans["default"], REPO / "policies"), (plans["quotas"], QUOTA_FIXTURE)):
        public = sorted(n for n, p in expected_profiles(folder).items() if p.public)
        bindings = plan.of("google_cloud_run_v2_service_iam_member.public")
        assert sorted(bindings) == public
        assert {(b.after["role"], b.after["member"]) for b in bindings.values()} == {
            ("roles/run.invoker", "allUsers")
        }


def test_builds_run_as_a_dedicated_account_with_the_three_build_roles(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    account = plan.one("google_service_account.build")
    assert account.after["account_id"] == "tokenvend-build"
    roles = plan.of("google_project_iam_member.build")
    assert set(roles) == BUILD_ROLES
    assert {r.after["role"] for r in roles.values()} == BUILD_ROLES
    assert all(r.after_unknown["member"] for r in roles.values())  # the new account's email
    for function in plan.of("google_cloudfunctions2_function.profile").values():
        assert function.after_unknown["build_config"][0]["service_account"] is True
    # Nothing else is granted at project level by default.
    assert {c.address.split("[")[0] for c in plan.changes if "project_iam" in c.address} == {
        "google_project_iam_member.build"
    }


def test_resources_wait_for_the_apis_and_functions_for_iam(plans: dict[str, Plan]) -> None:
    plan = plans["default"]
    assert plan.one("time_sleep.apis_ready")
    assert plan.one("time_sleep.iam_ready")
    waiting = {
        "google_service_account.build",
        "google_service_account.function",
        "google_secret_manager_secret.api_key",
        "google_storage_bucket.source",
        "google_logging_metric.count",
        "google_logging_metric.upstream_latency",
        "google_monitoring_dashboard.tokenvend",
        "google_monitoring_notification_channel.email",
        "google_firestore_database.quotas",
        "google_firestore_field.counters_ttl",
        "google_billing_budget.project",
    }
    for address in waiting:
        assert "time_sleep.apis_ready" in plan.depends_on(address), address
    function = plan.depends_on("google_cloudfunctions2_function.profile")
    assert {"time_sleep.apis_ready", "time_sleep.iam_ready"} <= function
    assert {
        "google_project_iam_member.build",
        "google_secret_manager_secret_iam_member.function",
    } <= (plan.depends_on("time_sleep.iam_ready"))
    services = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert {
        "cloudbuild.googleapis.com",
        "run.googleapis.com",
        "monitoring.googleapis.com",
    } <= services
    assert "firestore.googleapis.com" not in services
    assert not [
        s
        for s in plan.of("google_project_service.enabled").values()
        if s.after["disable_on_destroy"]
    ]


def test_firestore_pieces_exist_only_for_profiles_with_quotas(plans: dict[str, Plan]) -> None:
    assert not {t for t in plans["default"].types() if "firestore" in t or "datastore" in t}
    assert not plans["default"].of("google_project_iam_member.quota_datastore_user")

    plan = plans["quotas"]
    database = plan.one("google_firestore_database.quotas").after
    assert (database["name"], database["type"], database["location_id"]) == (
        "tokenvend-quotas",
        "FIRESTORE_NATIVE",
        "europe-west1",
    )
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    ttl = plan.one("google_firestore_field.counters_ttl")
    assert (ttl.after["collection"], ttl.after["field"]) == ("tokenvend_counters", "expire_at")
    assert len(ttl.after["ttl_config"]) == 1
    assert ttl.after["index_config"] == [{"indexes": []}]

    grants = plan.of("google_project_iam_member.quota_datastore_user")
    assert sorted(grants) == ["metered"]
    (grant,) = grants.values()
    assert grant.after["role"] == "roles/datastore.user"
    (condition,) = grant.after["condition"]
    assert "projects/tokenvend-plan-test/databases/tokenvend-quotas" in condition["expression"]

    envs = {
        name: f.after["service_config"][0]["environment_variables"]
        for name, f in plan.of("google_cloudfunctions2_function.profile").items()
    }
    assert envs["metered"]["TOKENVEND_FIRESTORE_DATABASE"] == "tokenvend-quotas"
    assert "TOKENVEND_FIRESTORE_DATABASE" not in envs["open-demo"]
    services = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert "firestore.googleapis.com" in services
    assert plan.output("firestore_database") == "tokenvend-quotas"
    assert plan.output("quota_profiles") == ["metered"]


def test_only_profiles_that_consume_app_check_tokens_may_verify_them(
    plans: dict[str, Plan],
) -> None:
    assert not plans["default"].of("google_project_iam_member.app_check_token_verifier")
    assert plans["default"].output("app_check_consume_profiles") == []

    plan = plans["quotas"]
    grants = plan.of("google_project_iam_member.app_check_token_verifier")
    assert sorted(grants) == ["app-checked"]
    (grant,) = grants.values()
    assert grant.after["role"] == "roles/firebaseappcheck.tokenVerifier"
    assert grant.after["project"] == "tokenvend-plan-test"  # app_check_project_id's default
    assert grant.after_unknown["member"]  # the profile's own account, created in this apply
    member = plan.config("google_project_iam_member.app_check_token_verifier")["expressions"]
    assert "google_service_account.function" in member["member"]["references"]
    assert "google_project_iam_member.app_check_token_verifier" in plan.depends_on(
        "time_sleep.iam_ready"
    )
    services = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert "firebaseappcheck.googleapis.com" in services
    default_services = {
        s.after["service"] for s in plans["default"].of("google_project_service.enabled").values()
    }
    assert "firebaseappcheck.googleapis.com" not in default_services
    assert plan.output("app_check_consume_profiles") == ["app-checked"]


def test_the_caller_hash_salt_comes_from_its_secret_only_when_one_is_named(
    plans: dict[str, Plan],
) -> None:
    for function in plans["default"].of("google_cloudfunctions2_function.profile").values():
        (service,) = function.after["service_config"]
        assert service["secret_environment_variables"] == []
        assert "TOKENVEND_SUBJECT_HASH_SALT" not in service["environment_variables"]
    assert not plans["default"].of("google_secret_manager_secret_iam_member.subject_hash_salt")

    plan = plans["quotas"]
    functions = plan.of("google_cloudfunctions2_function.profile")
    for function in functions.values():
        (service,) = function.after["service_config"]
        assert service["secret_environment_variables"] == [
            {
                "key": "TOKENVEND_SUBJECT_HASH_SALT",
                "project_id": "tokenvend-plan-test",
                "secret": "tokenvend-salt",
                "version": "latest",
            }
        ]
        assert "TOKENVEND_SUBJECT_HASH_SALT" not in service["environment_variables"]
    readers = plan.of("google_secret_manager_secret_iam_member.subject_hash_salt")
    assert sorted(readers) == sorted(functions)
    for reader in readers.values():
        assert (reader.after["secret_id"], reader.after["role"]) == (
            "tokenvend-salt",
            "roles/secretmanager.secretAccessor",
        )
    assert "google_secret_manager_secret_iam_member.subject_hash_salt" in plan.depends_on(
        "time_sleep.iam_ready"
    )


METRICS = {
    "tokens_minted",
    "refusals",
    "upstream_calls",
    "upstream_errors",
    "secret_failures",
    "quota_refusals",
}


def test_log_based_metrics_count_the_request_log_fields_without_the_caller(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    counters = plan.of("google_logging_metric.count")
    assert set(counters) == METRICS
    latency = plan.one("google_logging_metric.upstream_latency").after
    for metric in [*(c.after for c in counters.values()), latency]:
        assert metric["name"].startswith("tokenvend_")
        assert 'resource.type="cloud_run_revision"' in metric["filter"]
        assert 'resource.labels.service_name=~"^tokenvend-"' in metric["filter"]
        extractors = metric["label_extractors"]
        assert "profile" in extractors
        assert not [k for k, v in extractors.items() if "caller" in k or "caller" in v]
        (descriptor,) = metric["metric_descriptor"]
        assert {label["key"] for label in descriptor["labels"]} == set(extractors)
    assert 'jsonPayload.reason="minted"' in counters["tokens_minted"].after["filter"]
    assert 'jsonPayload.reason=~"^upstream_"' in counters["upstream_errors"].after["filter"]
    assert set(counters["refusals"].after["label_extractors"]) == {"profile", "reason", "status"}
    (descriptor,) = latency["metric_descriptor"]
    assert (descriptor["value_type"], descriptor["unit"]) == ("DISTRIBUTION", "ms")
    assert latency["value_extractor"] == "EXTRACT(jsonPayload.upstream_ms)"


def test_alerts_exist_without_channels_and_notify_the_given_emails(plans: dict[str, Plan]) -> None:
    names = {"upstream_error_ratio", "secret_failures", "traffic_spike", "quota"}
    default = plans["default"]
    for name in names:
        policy = default.one(f"google_monitoring_alert_policy.{name}")
        assert policy.after["notification_channels"] in (None, [])
        assert policy.after["documentation"][0]["content"]
    assert not default.of("google_monitoring_notification_channel.email")

    ratio = default.one("google_monitoring_alert_policy.upstream_error_ratio").after
    (condition,) = ratio["conditions"]
    threshold = condition["condition_threshold"][0]
    assert threshold["threshold_value"] == 0.2
    assert "upstream_errors" in threshold["filter"]
    assert "upstream_calls" in threshold["denominator_filter"]

    quotas = plans["quotas"]
    channels = quotas.of("google_monitoring_notification_channel.email")
    assert sorted(channels) == ["oncall@example.com", "ops@example.com"]
    assert {c.after["labels"]["email_address"] for c in channels.values()} == set(channels)
    for name in names:
        policy = quotas.one(f"google_monitoring_alert_policy.{name}")
        assert policy.after_unknown["notification_channels"]  # ids exist after apply


def test_dashboard_charts_every_metric(plans: dict[str, Plan]) -> None:
    dashboard = json.loads(
        plans["default"].one("google_monitoring_dashboard.tokenvend").after["dashboard_json"]
    )
    filters = json.dumps(dashboard)
    for metric in [*METRICS - {"upstream_calls"}, "upstream_latency"]:
        assert f"logging.googleapis.com/user/tokenvend_{metric}" in filters, metric
    tiles = dashboard["mosaicLayout"]["tiles"]
    assert all(t["xPos"] + t["width"] <= dashboard["mosaicLayout"]["columns"] for t in tiles)


def test_budget_only_with_a_billing_account(plans: dict[str, Plan]) -> None:
    assert not plans["default"].of("google_billing_budget.project")
    budget = plans["quotas"].one("google_billing_budget.project").after
    assert budget["billing_account"] == "012345-6789AB-CDEF01"
    amount = budget["amount"][0]["specified_amount"][0]
    assert (amount["currency_code"], amount["units"]) == ("EUR", "50")
    assert [r["threshold_percent"] for r in budget["threshold_rules"]] == [0.5, 0.9, 1.0]
    assert budget["budget_filter"][0]["projects"][0].startswith("projects/")


def test_no_secret_version_is_ever_planned() -> None:
    """A version written by Terraform would put the API key into the state."""
    for path in sorted(TF_DIR.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        text = path.read_text()
        assert "google_secret_manager_secret_version" not in text, path
        assert not re.search(r"\bsecret_data\b", text), path


def test_the_source_object_is_named_after_the_archive_the_plan_built(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    (archive,) = [
        r["values"]
        for r in plan.shown["prior_state"]["values"]["root_module"]["resources"]
        if r["address"] == "data.archive_file.source"
    ]
    names = {s["filename"] for s in archive["source"]}
    assert {"main.py", "requirements.txt", "policies/voice-assistant.yaml"} <= names
    assert not [n for n in names if n.startswith(("tests/", "terraform/")) or "__pycache__" in n]
    assert archive["output_size"] > 0
    assert re.fullmatch(r"[0-9a-f]{64}", archive["output_sha256"])
    source = plan.one("google_storage_bucket_object.source").after
    assert source["name"] == f"tokenvend/source-{archive['output_sha256']}.zip"
