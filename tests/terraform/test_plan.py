"""What `terraform plan` of the root module creates, read from the real plan
(stand-in provider with the real google 6.50.0 schema, see standin/).

Three plans: `default` deploys the repository's policies/ with every default;
`quotas` a fixture folder with one quota profile and one App Check consume
profile, email channels, a budget and the caller-hash salt from a secret;
`custom_domain` the load balancer, with public profiles opened by IAM bindings.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from tests.terraform.planview import Change, Plan
from tests.terraform.tfconfig import REPO, TF_DIR, policy_files
from tests.terraform.workspace import QUOTA_FIXTURE, Workspace

PROJECT = "tokenvend-plan-test"
REGION = "europe-west1"
BUILD_ACCOUNT = (
    f"projects/{PROJECT}/serviceAccounts/tokenvend-build@{PROJECT}.iam.gserviceaccount.com"
)


@dataclass
class Deploy:
    public: bool
    min_instances: int
    max_instances: int
    memory_mb: int


def expected_profiles(folder: pathlib.Path) -> dict[str, Deploy]:
    """Profile name -> deploy section with the policy schema's defaults, read from the YAML."""
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


def services(plan: Plan) -> dict[str, Change]:
    return plan.in_module("profile_service", "google_cloud_run_v2_service.this")


def container(service: Change) -> dict[str, Any]:
    (template,) = service.after["template"]
    (only,) = template["containers"]
    found: dict[str, Any] = only
    return found


def environment(service: Change) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(service)["env"] if e["value_source"] == []}


def secret_environment(service: Change) -> dict[str, Any]:
    return {e["name"]: e["value_source"][0] for e in container(service)["env"] if e["value_source"]}


def iam_members(plan: Plan) -> list[Change]:
    """Every IAM grant of the plan, root module and module calls alike."""
    return [c for c in plan.changes if "_iam_member" in c.address]


SCENARIOS = (("default", REPO / "policies"), ("quotas", QUOTA_FIXTURE))


def test_each_policy_file_is_one_service_with_its_own_account_env_and_bounds(
    plans: dict[str, Plan],
) -> None:
    for name, folder in SCENARIOS:
        plan = plans[name]
        policies = expected_profiles(folder)
        planned = services(plan)
        accounts = plan.of("google_service_account.function")
        assert sorted(planned) == sorted(policies) == sorted(accounts)
        assert len({a.after["account_id"] for a in accounts.values()}) == len(policies)
        for profile, service in planned.items():
            deploy = policies[profile]
            (template,) = service.after["template"]
            assert service.after["name"] == f"tokenvend-{profile}"
            assert service.after["deletion_protection"] is False  # a removed file removes it
            assert template["scaling"] == [
                {
                    "min_instance_count": deploy.min_instances,
                    "max_instance_count": deploy.max_instances,
                }
            ]
            assert template["max_instance_request_concurrency"] == 16
            assert template["timeout"] == "30s"
            (resources,) = container(service)["resources"]
            assert resources["limits"] == {"cpu": "1", "memory": f"{deploy.memory_mb}Mi"}
            assert resources["cpu_idle"] is True
            env = environment(service)
            assert env["TOKENVEND_PROFILE"] == profile
            assert env["TOKENVEND_API_KEY_SECRET"] == (
                f"projects/{PROJECT}/secrets/tokenvend-gemini-api-key"
            )
            assert env["GOOGLE_CLOUD_PROJECT"] == PROJECT
            assert env["THREADS"] == "16"
        # Each service runs as its own account (the email exists after apply).
        call = plan.module_config("profile_service")["expressions"]
        assert "google_service_account.function" in call["service_account_email"]["references"]


def test_every_service_is_built_from_source_as_a_cloud_run_function(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    (image,) = plan.of("terraform_data.image").values()
    tag = image.after["input"]
    assert re.fullmatch(
        rf"{REGION}-docker\.pkg\.dev/{PROJECT}/tokenvend-images/mint-token:[0-9a-f]{{32}}", tag
    )
    base_image = f"{REGION}-docker.pkg.dev/serverless-runtimes/google-22-full/runtimes/python312"
    for service in services(plan).values():
        (build,) = service.after["build_config"]
        assert build["function_target"] == "mint_token"
        assert build["image_uri"] == tag
        assert build["base_image"] == base_image
        assert build["enable_automatic_updates"] is True
        # The dedicated build account's email exists after apply (test below).
        assert service.after_unknown["build_config"][0]["service_account"] is True
        assert re.fullmatch(
            rf"gs://{PROJECT}-tokenvend-source/tokenvend/source-[0-9a-f]{{64}}\.zip",
            build["source_location"],
        )
        assert container(service)["image"] == tag
        assert container(service)["base_image_uri"] == base_image
    repository = plan.one("google_artifact_registry_repository.images").after
    assert (repository["format"], repository["location"]) == ("DOCKER", REGION)
    policies = {p["id"]: p for p in repository["cleanup_policies"]}
    assert policies["keep-newest"]["most_recent_versions"][0]["keep_count"] == 10
    assert policies["delete-old"]["action"] == "DELETE"


def test_the_build_step_submits_what_the_services_record(
    plans: dict[str, Plan], applied_builds: list[dict[str, Any]]
) -> None:
    """The build request the offline apply sent to the fake build API."""
    (service,) = services(plans["default"]).values()
    (build,) = service.after["build_config"]
    request = applied_builds[0]
    bucket, _, object_name = build["source_location"].removeprefix("gs://").partition("/")
    assert request == {
        "storageSource": {"bucket": bucket, "object": object_name},
        "imageUri": build["image_uri"],
        "buildpackBuild": {
            "baseImage": build["base_image"],
            "functionTarget": "mint_token",
            "enableAutomaticUpdates": True,
        },
        "serviceAccount": BUILD_ACCOUNT,
        "tags": ["tokenvend", "target-mint-token"],
    }


def test_a_public_profile_has_no_allusers_binding_in_the_default_mode(
    plans: dict[str, Plan],
) -> None:
    for name, folder in SCENARIOS:
        plan = plans[name]
        public = {n for n, p in expected_profiles(folder).items() if p.public}
        for profile, service in services(plan).items():
            assert service.after["invoker_iam_disabled"] is (profile in public), profile
            assert service.after["ingress"] == "INGRESS_TRAFFIC_ALL"
        members = {c.after["member"] for c in iam_members(plan) if "member" in c.after}
        assert not members & {"allUsers", "allAuthenticatedUsers"}, name
        assert not plan.in_modules("profile_service", "google_cloud_run_v2_service_iam")


def test_the_iam_mode_binds_the_named_principals_on_public_profiles_only(
    plans: dict[str, Plan],
) -> None:
    plan = plans["custom_domain"]
    public = {n for n, p in expected_profiles(REPO / "policies").items() if p.public}
    bindings = plan.in_modules("profile_service", "google_cloud_run_v2_service_iam_member")
    assert {(b.module, b.after["role"], b.after["member"]) for b in bindings} == {
        (f'module.profile_service["{p}"]', "roles/run.invoker", "allUsers") for p in public
    }
    for service in services(plan).values():
        assert service.after["invoker_iam_disabled"] is False


def test_builds_run_as_a_dedicated_account_with_the_documented_role_and_scoped_grants(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    account = plan.one("google_service_account.build")
    assert account.after["account_id"] == "tokenvend-build"
    roles = plan.of("google_project_iam_member.build")
    assert {r.after["role"] for r in roles.values()} == {"roles/run.builder"}
    assert all(r.after_unknown["member"] for r in roles.values())  # the new account's email
    reads = plan.one("google_storage_bucket_iam_member.build_reads_source")
    assert reads.after["role"] == "roles/storage.objectViewer"
    writes = plan.one("google_artifact_registry_repository_iam_member.build_writes_images")
    assert writes.after["role"] == "roles/artifactregistry.writer"
    # Storage is read on the source bucket only: no project-wide storage role (the
    # default profile's read-only kill switch grant is the only other one).
    project_roles = {
        c.after["role"] for c in plan.changes if c.address.startswith("google_project_iam_member")
    }
    assert project_roles == {"roles/run.builder", "roles/datastore.viewer"}


def test_resources_wait_for_the_apis(plans: dict[str, Plan]) -> None:
    plan = plans["quotas"]
    assert plan.one("time_sleep.apis_ready")
    waiting = {
        "google_service_account.build",
        "google_service_account.function",
        "google_secret_manager_secret.api_key",
        "google_storage_bucket.source",
        "google_artifact_registry_repository.images",
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
    services_enabled = {
        s.after["service"] for s in plan.of("google_project_service.enabled").values()
    }
    assert {
        "cloudbuild.googleapis.com",
        "run.googleapis.com",
        "artifactregistry.googleapis.com",
    } <= (services_enabled)
    assert "cloudfunctions.googleapis.com" not in services_enabled
    assert not [
        s
        for s in plan.of("google_project_service.enabled").values()
        if s.after["disable_on_destroy"]
    ]


def test_the_iam_wait_covers_every_grant_and_holds_back_the_build_and_services(
    plans: dict[str, Plan],
) -> None:
    for name in ("default", "quotas", "custom_domain"):
        plan = plans[name]
        waited = plan.depends_on("time_sleep.iam_ready")
        grant_blocks = {
            r["address"]
            for r in plan.shown["configuration"]["root_module"]["resources"]
            if "_iam_member" in r["type"]
        }
        assert grant_blocks <= waited, grant_blocks - waited
        # Each planned grant instance is named in the triggers, so adding, removing
        # or changing any one of them waits again.
        triggers = plan.one("time_sleep.iam_ready").after["triggers"]
        for grant in plan.of("google_secret_manager_secret_iam_member.function"):
            assert grant in triggers["api_key"]
        for grant in plan.of("google_secret_manager_secret_iam_member.subject_hash_salt"):
            assert grant in triggers["salt"]
        for grant in plan.of("google_project_iam_member.quota_datastore_user"):
            assert grant in triggers["quota"]
        for grant in plan.of("google_project_iam_member.switch_datastore_viewer"):
            assert grant in triggers["switch"]
        for grant in plan.of("google_project_iam_member.app_check_token_verifier"):
            assert grant in triggers["app_check"]
        assert "roles/run.builder" in triggers["build_project"]
        assert "time_sleep.iam_ready" in plan.depends_on("terraform_data.image")
        assert {"time_sleep.iam_ready", "terraform_data.image"} <= set(
            plan.module_config("profile_service")["depends_on"]
        )
    quotas = plans["quotas"].one("time_sleep.iam_ready").after["triggers"]
    assert "metered" in quotas["quota"] and "tokenvend-salt" in quotas["salt"]
    assert "app-checked" in quotas["app_check"]


def test_changing_the_grants_of_an_applied_deployment_waits_again(plans: dict[str, Plan]) -> None:
    """quotas-off: the applied quotas deployment planned with other policies."""
    (wait,) = plans["quotas-off"].of("time_sleep.iam_ready").values()
    assert wait.actions == ["delete", "create"]


def test_alert_policies_wait_for_their_metrics(plans: dict[str, Plan]) -> None:
    plan = plans["default"]
    wait = plan.one("time_sleep.metrics_ready")
    metrics = [
        m.after["name"] for m in plan.changes if m.address.startswith("google_logging_metric")
    ]
    assert wait.after["triggers"]["metrics"] == ",".join(
        sorted(f"logging.googleapis.com/user/{m}" for m in metrics)
    )
    assert wait.after["create_duration"] == "0s"  # plan.tfvars; 300 s by default
    assert {"google_logging_metric.count", "google_logging_metric.upstream_latency"} <= (
        plan.depends_on("time_sleep.metrics_ready")
    )
    alerts = [c for c in plan.changes if c.address.startswith("google_monitoring_alert_policy")]
    assert len(alerts) == 4
    for alert in alerts:
        assert "time_sleep.metrics_ready" in plan.depends_on(alert.address), alert.address


def test_the_firestore_database_exists_from_the_first_apply_and_outlives_its_quotas(
    plans: dict[str, Plan],
) -> None:
    for name in ("default", "quotas"):
        database = plans[name].one("google_firestore_database.quotas").after
        assert (database["name"], database["type"], database["location_id"]) == (
            "tokenvend-quotas",
            "FIRESTORE_NATIVE",
            REGION,
        )
        assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
        assert database["deletion_policy"] == "ABANDON"
    # Quotas off after quotas: the database stays, the TTL policy and grants go.
    off = plans["quotas-off"]
    assert off.one("google_firestore_database.quotas").actions == ["no-op"]
    assert off.one("google_firestore_field.counters_ttl").actions == ["delete"]
    assert {
        c.actions[0] for c in off.of("google_project_iam_member.quota_datastore_user").values()
    } == {"delete"}
    assert not plans["default"].of("google_firestore_field.counters_ttl")
    assert not plans["default"].of("google_project_iam_member.quota_datastore_user")


def test_the_default_profile_reads_its_kill_switch_with_a_read_only_grant(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    grants = plan.of("google_project_iam_member.switch_datastore_viewer")
    assert sorted(grants) == ["voice-assistant"]
    (grant,) = grants.values()
    assert grant.after["role"] == "roles/datastore.viewer"
    (condition,) = grant.after["condition"]
    assert f"projects/{PROJECT}/databases/tokenvend-quotas" in condition["expression"]
    assert "voice-assistant" in plan.one("time_sleep.iam_ready").after["triggers"]["switch"]
    envs = {name: environment(s) for name, s in services(plan).items()}
    assert envs["voice-assistant"]["TOKENVEND_FIRESTORE_DATABASE"] == "tokenvend-quotas"
    assert envs["voice-assistant"]["GOOGLE_CLOUD_PROJECT"] == PROJECT
    assert plan.output("kill_switch_profiles") == ["voice-assistant"]
    assert plan.output("firestore_database") == "tokenvend-quotas"
    enabled = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert "firestore.googleapis.com" in enabled


def test_quota_profiles_get_the_ttl_policy_their_database_and_a_scoped_grant(
    plans: dict[str, Plan],
) -> None:
    plan = plans["quotas"]
    ttl = plan.one("google_firestore_field.counters_ttl")
    assert (ttl.after["collection"], ttl.after["field"]) == ("tokenvend_counters", "expire_at")
    assert len(ttl.after["ttl_config"]) == 1
    assert ttl.after["index_config"] == [{"indexes": []}]
    grants = plan.of("google_project_iam_member.quota_datastore_user")
    assert sorted(grants) == ["metered"]
    (grant,) = grants.values()
    assert grant.after["role"] == "roles/datastore.user"
    (condition,) = grant.after["condition"]
    assert f"projects/{PROJECT}/databases/tokenvend-quotas" in condition["expression"]
    envs = {name: environment(s) for name, s in services(plan).items()}
    assert envs["metered"]["TOKENVEND_FIRESTORE_DATABASE"] == "tokenvend-quotas"
    assert "TOKENVEND_FIRESTORE_DATABASE" not in envs["open-demo"]
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
    assert grant.after["project"] == PROJECT  # app_check_project_id's default
    member = plan.config("google_project_iam_member.app_check_token_verifier")["expressions"]
    assert "google_service_account.function" in member["member"]["references"]
    enabled = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert "firebaseappcheck.googleapis.com" in enabled
    assert plan.output("app_check_consume_profiles") == ["app-checked"]


def test_the_salt_is_a_pinned_secret_version_read_only_when_one_is_named(
    plans: dict[str, Plan],
) -> None:
    for service in services(plans["default"]).values():
        assert secret_environment(service) == {}
    assert not plans["default"].of("google_secret_manager_secret_iam_member.subject_hash_salt")

    plan = plans["quotas"]
    planned = services(plan)
    for service in planned.values():
        assert secret_environment(service) == {
            "TOKENVEND_SUBJECT_HASH_SALT": {
                # The service's own project: the bare id, the form the API keeps.
                "secret_key_ref": [{"secret": "tokenvend-salt", "version": "3"}]
            }
        }
        assert "TOKENVEND_SUBJECT_HASH_SALT" not in environment(service)
    readers = plan.of("google_secret_manager_secret_iam_member.subject_hash_salt")
    assert sorted(readers) == sorted(planned)
    for reader in readers.values():
        assert (reader.after["secret_id"], reader.after["role"]) == (
            "tokenvend-salt",
            "roles/secretmanager.secretAccessor",
        )


def test_the_api_key_secret_is_protected_from_deletion(plans: dict[str, Plan]) -> None:
    assert (
        plans["default"].one("google_secret_manager_secret.api_key").after["deletion_protection"]
        is True
    )


METRICS = {
    "tokens_minted",
    "refusals",
    "upstream_calls",
    "upstream_errors",
    "secret_failures",
    "quota_refusals",
}


def test_request_metrics_count_only_request_lines_of_this_deployments_services(
    plans: dict[str, Plan],
) -> None:
    for name, folder in SCENARIOS:
        plan = plans[name]
        names = " OR ".join(f'"tokenvend-{p}"' for p in sorted(expected_profiles(folder)))
        counters = plan.of("google_logging_metric.count")
        assert set(counters) == METRICS
        latency = plan.one("google_logging_metric.upstream_latency").after
        for metric in [*(c.after for c in counters.values()), latency]:
            text = metric["filter"]
            assert text.startswith(
                'resource.type="cloud_run_revision"'
                f' AND resource.labels.location="{REGION}"'
                f" AND resource.labels.service_name=({names})"
                ' AND jsonPayload.event="request" AND '
            ), text
            # No prefix match: name_prefix "tokenvend" must not match "tokenvend-staging-...".
            assert '=~"^tokenvend' not in text and "jsonPayload.reason:*" not in text
    # Gemini latency: every request line that timed a Gemini call, failed ones included.
    latency = plans["default"].one("google_logging_metric.upstream_latency").after
    assert latency["filter"].endswith('jsonPayload.event="request" AND jsonPayload.upstream_ms:*')


def test_log_based_metrics_label_by_profile_reason_and_status_never_the_caller(
    plans: dict[str, Plan],
) -> None:
    plan = plans["default"]
    counters = plan.of("google_logging_metric.count")
    latency = plan.one("google_logging_metric.upstream_latency").after
    for metric in [*(c.after for c in counters.values()), latency]:
        assert metric["name"].startswith("tokenvend_")
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


def test_the_error_ratio_alert_needs_a_minimum_number_of_calls(plans: dict[str, Plan]) -> None:
    ratio = plans["default"].one("google_monitoring_alert_policy.upstream_error_ratio").after
    assert ratio["combiner"] == "AND"
    by_filter = {
        c["condition_threshold"][0]["filter"]: c["condition_threshold"][0]
        for c in ratio["conditions"]
    }
    (share,) = [t for t in by_filter.values() if t["denominator_filter"]]
    assert "upstream_errors" in share["filter"] and "upstream_calls" in share["denominator_filter"]
    assert share["threshold_value"] == 0.2
    (volume,) = [t for t in by_filter.values() if not t["denominator_filter"]]
    assert "tokenvend_upstream_calls" in volume["filter"]
    assert (volume["comparison"], volume["threshold_value"]) == ("COMPARISON_GT", 19)  # >= 20 calls
    assert (
        share["aggregations"][0]["alignment_period"]
        == volume["aggregations"][0]["alignment_period"]
    )


def test_alerts_exist_without_channels_and_notify_the_given_emails(plans: dict[str, Plan]) -> None:
    names = {"upstream_error_ratio", "secret_failures", "traffic_spike", "quota"}
    default = plans["default"]
    for name in names:
        policy = default.one(f"google_monitoring_alert_policy.{name}")
        assert policy.after["notification_channels"] in (None, [])
        assert policy.after["documentation"][0]["content"]
    assert not default.of("google_monitoring_notification_channel.email")

    quotas = plans["quotas"]
    channels = quotas.of("google_monitoring_notification_channel.email")
    assert sorted(channels) == ["oncall@example.com", "ops@example.com"]
    assert {c.after["labels"]["email_address"] for c in channels.values()} == set(channels)
    for name in names:
        policy = quotas.one(f"google_monitoring_alert_policy.{name}")
        assert policy.after_unknown["notification_channels"]  # ids exist after apply


def proto3_defaults(value: Any, path: str = "") -> list[str]:
    """Paths in a JSON value that hold a proto3 default (0, "", false, [], {}): the
    Monitoring API drops them, so a dashboard written with one differs on every plan."""
    found = []
    if isinstance(value, dict):
        if not value:
            found.append(path)
        for key, inner in value.items():
            found += proto3_defaults(inner, f"{path}.{key}")
    elif isinstance(value, list):
        if not value:
            found.append(path)
        for i, inner in enumerate(value):
            found += proto3_defaults(inner, f"{path}[{i}]")
    elif value in (0, "", False) and value is not True:
        found.append(path)
    return found


def test_the_dashboard_renders_no_value_the_api_would_drop(plans: dict[str, Plan]) -> None:
    dashboard = json.loads(
        plans["default"].one("google_monitoring_dashboard.tokenvend").after["dashboard_json"]
    )
    assert proto3_defaults(dashboard) == []
    tiles = dashboard["mosaicLayout"]["tiles"]
    # Leaving a zero position out still places the tile there: no two tiles overlap.
    cells: set[tuple[int, int]] = set()
    for tile in tiles:
        x, y = tile.get("xPos", 0), tile.get("yPos", 0)
        assert x + tile["width"] <= dashboard["mosaicLayout"]["columns"]
        area = {(i, j) for i in range(x, x + tile["width"]) for j in range(y, y + tile["height"])}
        assert not area & cells
        cells |= area
    assert "xPos" not in tiles[0] and "yPos" not in tiles[0]
    filters = json.dumps(dashboard)
    for metric in [*METRICS - {"upstream_calls"}, "upstream_latency"]:
        assert f"logging.googleapis.com/user/tokenvend_{metric}" in filters, metric
    assert 'resource.label.service_name=one_of(\\"tokenvend-voice-assistant\\")' in filters


def test_budget_only_with_a_billing_account(plans: dict[str, Plan]) -> None:
    assert not plans["default"].of("google_billing_budget.project")
    budget = plans["quotas"].one("google_billing_budget.project").after
    assert budget["billing_account"] == "012345-6789AB-CDEF01"
    amount = budget["amount"][0]["specified_amount"][0]
    assert (amount["currency_code"], amount["units"]) == ("EUR", "50")
    assert [r["threshold_percent"] for r in budget["threshold_rules"]] == [0.5, 0.9, 1.0]
    assert budget["budget_filter"][0]["projects"][0].startswith("projects/")


def test_a_load_balancer_in_front_closes_run_app_and_trusts_one_hop(plans: dict[str, Plan]) -> None:
    for service in services(plans["default"]).values():
        assert service.after["ingress"] == "INGRESS_TRAFFIC_ALL"
        assert "TOKENVEND_TRUSTED_PROXY_HOPS" not in environment(service)
    plan = plans["custom_domain"]
    for service in services(plan).values():
        assert service.after["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
        assert environment(service)["TOKENVEND_TRUSTED_PROXY_HOPS"] == "1"
    assert plan.output("function_urls") == {
        "voice-assistant": "https://tokens.example.com/voice-assistant"
    }


def test_the_custom_domain_is_an_https_load_balancer_with_a_per_ip_rate_limit(
    plans: dict[str, Plan],
) -> None:
    assert not plans["default"].in_modules("custom_domain", "google_compute")
    plan = plans["custom_domain"]
    lb = {
        c.address.split(".", 2)[-1]: c.after
        for c in plan.in_modules("custom_domain", "google_compute")
    }
    neg = lb['google_compute_region_network_endpoint_group.service["voice-assistant"]']
    assert (neg["network_endpoint_type"], neg["cloud_run"]) == (
        "SERVERLESS",
        [{"service": "tokenvend-voice-assistant", "tag": None, "url_mask": None}],
    )
    backend = lb['google_compute_backend_service.service["voice-assistant"]']
    assert backend["load_balancing_scheme"] == "EXTERNAL_MANAGED"
    policy = lb["google_compute_security_policy.edge"]
    (throttle,) = [r for r in policy["rule"] if r["action"] == "throttle"]
    (limit,) = throttle["rate_limit_options"]
    assert (limit["enforce_on_key"], limit["exceed_action"]) == ("IP", "deny(429)")
    assert limit["rate_limit_threshold"] == [{"count": 120, "interval_sec": 60}]
    assert lb["google_compute_managed_ssl_certificate.this"]["managed"] == [
        {"domains": ["tokens.example.com"]}
    ]
    url_map = lb["google_compute_url_map.this"]
    (matcher,) = url_map["path_matcher"]
    assert matcher["path_rule"][0]["paths"] == ["/voice-assistant", "/voice-assistant/*"]
    for route in (url_map["default_route_action"][0], matcher["default_route_action"][0]):
        assert route["fault_injection_policy"][0]["abort"] == [
            {"http_status": 404, "percentage": 100}
        ]
    forwarding = lb["google_compute_global_forwarding_rule.https"]
    assert (forwarding["port_range"], forwarding["load_balancing_scheme"]) == (
        "443",
        "EXTERNAL_MANAGED",
    )
    enabled = {s.after["service"] for s in plan.of("google_project_service.enabled").values()}
    assert "compute.googleapis.com" in enabled


def test_no_secret_version_is_ever_planned() -> None:
    """A version written by Terraform would put the API key into the state."""
    for path in sorted(TF_DIR.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        text = path.read_text()
        assert "google_secret_manager_secret_version" not in text, path
        assert not re.search(r"\bsecret_data\b", text), path


def source_lines() -> list[str]:
    """Distinctive lines of files the source archive holds."""
    lines = []
    for path in [
        REPO / "main.py",
        REPO / "tokenvend" / "web" / "endpoint.py",
        *policy_files(REPO / "policies"),
    ]:
        lines += [line.strip() for line in path.read_text().splitlines() if len(line.strip()) > 30]
    return lines


def test_no_plan_and_no_state_carries_the_source_files_text(
    plans: dict[str, Plan], applied_states: dict[str, str]
) -> None:
    lines = source_lines()
    assert lines
    for name, plan in plans.items():
        text = json.dumps(plan.shown)
        assert not [line for line in lines if json.dumps(line)[1:-1] in text], name
        assert "archive_file" not in text and "google_storage_bucket_object" not in text
    for name, state in applied_states.items():
        assert not [line for line in lines if json.dumps(line)[1:-1] in state], name


def test_the_source_archive_is_named_after_its_files(plans: dict[str, Plan]) -> None:
    (service,) = services(plans["default"]).values()
    (build,) = service.after["build_config"]
    name = build["source_location"].rsplit("/", 1)[-1]
    (quota_service, *_) = services(plans["quotas"]).values()
    # Other policies, other archive.
    assert name != quota_service.after["build_config"][0]["source_location"].rsplit("/", 1)[-1]
    rule = plans["default"].one("google_storage_bucket.source").after["lifecycle_rule"][0]
    assert rule["condition"][0]["age"] == 30
    assert rule["condition"][0]["matches_prefix"] == ["tokenvend/"]


def test_a_budget_with_more_than_five_channels_is_refused_at_plan_time(
    standin: Workspace,
) -> None:
    emails = ", ".join(f'"ops{i}@example.com"' for i in range(6))
    result, _ = standin.plan(
        "six-channels",
        f"-var=alert_emails=[{emails}]",
        '-var=budget={billing_account = "012345-6789AB-CDEF01", amount = 50}',
    )
    assert result.returncode != 0
    assert "A billing budget notifies at most 5 notification channels" in result.message
    assert "alert_emails makes 6" in result.message
