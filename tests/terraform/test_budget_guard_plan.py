"""The budget guard in the offline plans: with a budget (the `quotas` scenario) the budget
publishes to a topic, an Eventarc trigger delivers it to the budget_guard service, and
only the trigger's account may invoke it; without one (`default`) none of it exists.
"""

from __future__ import annotations

import re
from typing import Any

from tests.terraform.planview import Change, Plan
from tests.terraform.workspace import Workspace

PROJECT = "tokenvend-plan-test"
REGION = "europe-west1"
TRIGGER_ACCOUNT = f"tokenvend-guard-trigger@{PROJECT}.iam.gserviceaccount.com"
TOPIC = f"projects/{PROJECT}/topics/tokenvend-budget"
GUARD_TYPES = {
    "google_pubsub_topic",
    "google_pubsub_topic_iam_member",
    "google_eventarc_trigger",
}


def guard_service(plan: Plan) -> Change:
    (service,) = plan.in_module("budget_guard_service", "google_cloud_run_v2_service.this").values()
    return service


def environment(service: Change) -> dict[str, Any]:
    (template,) = service.after["template"]
    (container,) = template["containers"]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_without_a_budget_there_is_no_guard(plans: dict[str, Plan]) -> None:
    plan = plans["default"]
    assert not plan.types() & GUARD_TYPES
    assert not plan.in_modules("budget_guard_service", "google_")
    assert plan.output("budget_guard") is None
    (image,) = plan.of("terraform_data.image")
    assert image == "mint_token"


def test_the_budget_publishes_every_update_to_the_guards_topic(plans: dict[str, Plan]) -> None:
    plan = plans["quotas"]
    topic = plan.one("google_pubsub_topic.budget").after
    assert (topic["name"], topic["project"]) == ("tokenvend-budget", PROJECT)
    assert topic["labels"]["app"] == "tokenvend"
    (rule,) = plan.one("google_billing_budget.project").after["all_updates_rule"]
    assert (rule["pubsub_topic"], rule["schema_version"]) == (TOPIC, "1.0")
    assert rule["monitoring_notification_channels"] is not None
    publisher = plan.one("google_pubsub_topic_iam_member.budget_publisher").after
    assert publisher == {
        "condition": [],
        "member": "serviceAccount:billing-budget-alert@system.gserviceaccount.com",
        "project": PROJECT,
        "role": "roles/pubsub.publisher",
        "topic": "tokenvend-budget",
    }


def test_the_guard_is_reachable_only_by_its_trigger_and_runs_the_budget_guard_target(
    plans: dict[str, Plan],
) -> None:
    plan = plans["quotas"]
    service = guard_service(plan).after
    assert service["name"] == "tokenvend-budget-guard"
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert service["invoker_iam_disabled"] is False
    bindings = [
        c
        for c in plan.changes
        if (c.module or "").startswith("module.budget_guard_service")
        and ".google_cloud_run_v2_service_iam_member." in c.address
    ]
    assert [(b.after["role"], b.after["member"]) for b in bindings] == [
        ("roles/run.invoker", f"serviceAccount:{TRIGGER_ACCOUNT}")
    ]
    (build,) = service["build_config"]
    assert build["function_target"] == "budget_guard"
    assert re.fullmatch(
        rf"{REGION}-docker\.pkg\.dev/{PROJECT}/tokenvend-images/budget-guard:[0-9a-f]{{32}}",
        build["image_uri"],
    )
    assert set(plan.of("terraform_data.image")) == {"mint_token", "budget_guard"}
    (template,) = service["template"]
    assert template["scaling"][0]["max_instance_count"] == 1
    env = environment(guard_service(plan))
    assert env["TOKENVEND_BUDGET_PAUSE_AT_PERCENT"] == "100"
    assert env["TOKENVEND_FIRESTORE_DATABASE"] == "tokenvend-quotas"
    assert env["GOOGLE_CLOUD_PROJECT"] == PROJECT
    assert env["TOKENVEND_FIRESTORE_TIMEOUT_SECONDS"] == "10"
    # Neither the API key nor a profile: the guard reads no secret and mints nothing.
    assert "TOKENVEND_API_KEY_SECRET" not in env
    assert "TOKENVEND_PROFILE" not in env


def test_the_guard_acts_on_the_budget_terraform_created(plans: dict[str, Plan]) -> None:
    applied = plans["quotas-again"]
    budget_name = applied.one("google_billing_budget.project").after["name"]
    assert (
        environment(guard_service(applied))["TOKENVEND_BUDGET_ID"]
        == (budget_name.rsplit("/", 1)[-1])
    )
    assert applied.output("budget_guard")["budget_id"] == budget_name.rsplit("/", 1)[-1]


def test_the_trigger_delivers_the_topic_to_the_guard_as_its_own_account(
    plans: dict[str, Plan],
) -> None:
    trigger = plans["quotas"].one("google_eventarc_trigger.budget_guard").after
    assert trigger["service_account"] == TRIGGER_ACCOUNT
    assert trigger["matching_criteria"] == [
        {
            "attribute": "type",
            "operator": None,
            "value": "google.cloud.pubsub.topic.v1.messagePublished",
        }
    ]
    assert trigger["transport"][0]["pubsub"][0]["topic"] == TOPIC
    destination = trigger["destination"][0]["cloud_run_service"][0]
    assert (destination["service"], destination["region"]) == ("tokenvend-budget-guard", REGION)


def test_the_guards_accounts_hold_one_grant_each(plans: dict[str, Plan]) -> None:
    plan = plans["quotas"]
    accounts = {
        c.after["account_id"]
        for c in plan.of("google_service_account.budget_guard_trigger").values()
    }
    assert accounts == {"tokenvend-guard-trigger"}
    grant = plan.one("google_project_iam_member.budget_guard_datastore_user").after
    assert grant["role"] == "roles/datastore.user"
    assert grant["condition"][0]["expression"] == (
        f'resource.name == "projects/{PROJECT}/databases/tokenvend-quotas"'
    )
    project_grants = [c.after for c in plan.of("google_project_iam_member").values()]
    assert not [g for g in project_grants if "guard-trigger" in str(g.get("member"))]
    # The marker counters the guard writes expire with the quota counters' TTL policy.
    assert plan.of("google_firestore_field.counters_ttl")


def test_the_guard_waits_for_its_grant_like_the_profiles(plans: dict[str, Plan]) -> None:
    waited = plans["quotas"].depends_on("time_sleep.iam_ready")
    assert "google_project_iam_member.budget_guard_datastore_user" in waited
    assert (
        "time_sleep.iam_ready"
        in plans["quotas"].module_config("budget_guard_service")["depends_on"]
    )


def test_a_pause_and_a_guard_that_cannot_act_each_open_an_alert(plans: dict[str, Plan]) -> None:
    plan = plans["quotas"]
    metric = plan.one("google_logging_metric.budget_guard").after
    # The guard's own line on the guard's own service: no request line counts here.
    assert 'resource.labels.service_name="tokenvend-budget-guard"' in metric["filter"]
    assert 'jsonPayload.event="budget_guard"' in metric["filter"]
    assert metric["label_extractors"] == {"reason": "EXTRACT(jsonPayload.reason)"}
    metric_type = f"logging.googleapis.com/user/{metric['name']}"
    assert metric_type in plan.one("time_sleep.metrics_ready").after["triggers"]["metrics"]
    assert "google_logging_metric.budget_guard" in plan.depends_on("time_sleep.metrics_ready")

    alerts = plan.of("google_monitoring_alert_policy.budget_guard")
    assert sorted(alerts) == ["failed", "paused"]
    assert "time_sleep.metrics_ready" in plan.depends_on(
        "google_monitoring_alert_policy.budget_guard"
    )
    filters = {}
    for name, policy in alerts.items():
        (condition,) = policy.after["conditions"]
        (threshold,) = condition["condition_threshold"]
        assert f'metric.type="{metric_type}"' in threshold["filter"]
        assert policy.after_unknown["notification_channels"]
        filters[name] = threshold["filter"]
    assert alerts["paused"].after["severity"] == "CRITICAL"
    assert filters["paused"].endswith(
        'metric.label.reason=monitoring.regex.full_match("budget_paused")'
    )
    assert filters["failed"].endswith(
        'metric.label.reason=monitoring.regex.full_match("budget_malformed|budget_store_unavailable")'
    )
    assert not plans["default"].of("google_logging_metric.budget_guard")
    assert not plans["default"].of("google_monitoring_alert_policy.budget_guard")


def test_a_budget_without_the_guard_only_alerts(standin: Workspace) -> None:
    _, plan_json = standin.plan(
        "no-guard",
        '-var=budget={billing_account = "012345-6789AB-CDEF01", amount = 50}',
        "-var=budget_guard={enabled = false}",
    )
    plan = Plan(plan_json)
    assert not plan.types() & GUARD_TYPES
    (rule,) = plan.one("google_billing_budget.project").after["all_updates_rule"]
    assert rule["pubsub_topic"] is None
    assert not plan.of("google_logging_metric.budget_guard")


def test_a_threshold_outside_0_to_1000_percent_is_refused_with_how_to_fix_it(
    standin: Workspace,
) -> None:
    for value in ("0", "1001", "-5"):
        result, _ = standin.plan(
            f"threshold-{value}",
            '-var=budget={billing_account = "012345-6789AB-CDEF01", amount = 50}',
            f"-var=budget_guard={{pause_at_percent = {value}}}",
        )
        assert result.returncode != 0
        assert "budget_guard.pause_at_percent must be a percentage" in result.message
