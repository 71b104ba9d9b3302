"""House style and least privilege, read from the Terraform code itself."""

import re
from typing import Any

import pytest

from tests.terraform.tfconfig import PROFILES_MODULE, SOURCE_FILES_MODULE, TF_DIR, Config

MODULE_DIRS = [
    TF_DIR,
    PROFILES_MODULE,
    SOURCE_FILES_MODULE,
    TF_DIR / "modules" / "run-service",
    TF_DIR / "modules" / "custom-domain",
    TF_DIR / "environments" / "example",
]


def literal(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals."""
    return value[1:-1] if isinstance(value, str) and value.startswith('"') else value


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: d.name)
def test_variables_are_alphabetical_typed_and_described(directory: Any) -> None:
    variables = Config.load(directory).named_blocks("variable")
    assert variables
    assert {f for f, _, _ in variables} == {"variables.tf"}
    names = [name for _, name, _ in variables]
    assert names == sorted(names)
    for _, name, body in variables:
        assert literal(body.get("description", "")).strip(), f"variable {name} has no description"
        assert "type" in body, f"variable {name} has no type"
        for validation in body.get("validation", []):
            assert literal(validation.get("error_message", "")).strip(), name


@pytest.mark.parametrize("directory", MODULE_DIRS, ids=lambda d: d.name)
def test_outputs_are_alphabetical_and_described(directory: Any) -> None:
    outputs = Config.load(directory).named_blocks("output")
    assert outputs
    assert {f for f, _, _ in outputs} == {"outputs.tf"}
    names = [name for _, name, _ in outputs]
    assert names == sorted(names)
    for _, name, body in outputs:
        assert literal(body.get("description", "")).strip(), f"output {name} has no description"


def test_versions_are_bounded(root_config: Config) -> None:
    (terraform,) = root_config.files["versions.tf"]["terraform"]
    assert literal(terraform["required_version"]) == ">= 1.7.0"
    (providers,) = terraform["required_providers"]
    # Held to the majors the offline plan covers (google 6.50.0, time 0.13),
    # admitting those versions; the source archive needs no provider.
    assert {name for name in providers if not name.startswith("__")} == {"google", "time"}
    assert literal(providers["google"]["version"]) == ">= 6.50.0, < 7.0.0"
    assert literal(providers["time"]["version"]) == ">= 0.13.0, < 1.0.0"
    for module in ("run-service", "custom-domain"):
        (inner,) = Config.load(TF_DIR / "modules" / module).files["versions.tf"]["terraform"]
        (required,) = inner["required_providers"]
        assert literal(required["google"]["version"]) == ">= 6.50.0, < 7.0.0", module


def test_references_point_at_things_that_exist(root_config: Config) -> None:
    """A typo in var./local./resource references fails here, not at deploy time."""
    text = "\n".join(p.read_text() for p in sorted(TF_DIR.glob("*.tf")))
    text = re.sub(r"(?m)^\s*#.*$", "", text)
    variables = {name for _, name, _ in root_config.named_blocks("variable")}
    local_names = root_config.local_names()
    resources = {r.address for r in root_config.resources()}
    data = {f"data.{d.address}" for d in root_config.data_sources()}
    profiles_outputs = {n for _, n, _ in Config.load(PROFILES_MODULE).named_blocks("output")}
    source_outputs = {n for _, n, _ in Config.load(SOURCE_FILES_MODULE).named_blocks("output")}
    service_outputs = {
        n for _, n, _ in Config.load(TF_DIR / "modules" / "run-service").named_blocks("output")
    }
    domain_outputs = {
        n for _, n, _ in Config.load(TF_DIR / "modules" / "custom-domain").named_blocks("output")
    }

    assert set(re.findall(r"\bvar\.(\w+)", text)) <= variables
    assert set(re.findall(r"\blocal\.(\w+)", text)) <= local_names
    assert set(re.findall(r"\bmodule\.profiles\.(\w+)", text)) <= profiles_outputs
    assert set(re.findall(r"\bmodule\.source_files\.(\w+)", text)) <= source_outputs
    assert set(re.findall(r"\bmodule\.custom_domain\[0\]\.(\w+)", text)) <= domain_outputs
    assert set(re.findall(r"\bservice\.(\w+)", text)) <= service_outputs
    used = set(re.findall(r"(?<![\w.\"])(google_\w+\.\w+)", text))
    assert used <= resources
    assert set(re.findall(r"\b(data\.\w+\.\w+)", text)) <= data


def test_iam_is_per_function_and_least_privilege(root_config: Config) -> None:
    iam = [r for r in root_config.resources() if "_iam_" in r.type]
    roles = {r.address: literal(r.body["role"]) for r in iam}
    assert roles == {
        "google_artifact_registry_repository_iam_member.build_writes_images": (
            "roles/artifactregistry.writer"
        ),
        "google_project_iam_member.app_check_token_verifier": (
            "roles/firebaseappcheck.tokenVerifier"
        ),
        "google_project_iam_member.build": "${each.value}",
        "google_project_iam_member.budget_guard_datastore_user": "roles/datastore.user",
        "google_project_iam_member.quota_datastore_user": "roles/datastore.user",
        "google_project_iam_member.switch_datastore_viewer": "roles/datastore.viewer",
        "google_pubsub_topic_iam_member.budget_publisher": "roles/pubsub.publisher",
        "google_secret_manager_secret_iam_member.function": "roles/secretmanager.secretAccessor",
        "google_secret_manager_secret_iam_member.subject_hash_salt": (
            "roles/secretmanager.secretAccessor"
        ),
        "google_storage_bucket_iam_member.build_reads_source": "roles/storage.objectViewer",
    }
    # Project-wide grants: only the build account's, datastore.user for quota
    # profiles and the budget guard, datastore.viewer for profiles that only read
    # the kill switch, each limited by a condition to the quota database, and the
    # App Check token verifier for profiles that consume App Check tokens.
    project_wide = {r.address: r.body for r in root_config.resources("google_project_iam")}
    assert set(project_wide) == {
        "google_project_iam_member.app_check_token_verifier",
        "google_project_iam_member.build",
        "google_project_iam_member.budget_guard_datastore_user",
        "google_project_iam_member.quota_datastore_user",
        "google_project_iam_member.switch_datastore_viewer",
    }
    guard = project_wide["google_project_iam_member.budget_guard_datastore_user"]
    assert "google_service_account.budget_guard[0].email" in guard["member"]
    assert "resource.name ==" in guard["condition"][0]["expression"]
    verifier = project_wide["google_project_iam_member.app_check_token_verifier"]
    assert verifier["for_each"] == "${module.profiles.app_check_consume_profiles}"
    assert verifier["project"] == "${local.app_check_project}"
    assert (
        "google_service_account.build[0].email"
        in project_wide["google_project_iam_member.build"]["member"]
    )
    quota = project_wide["google_project_iam_member.quota_datastore_user"]
    assert quota["for_each"] == "${local.quota_profiles}"
    assert "resource.name ==" in quota["condition"][0]["expression"]
    switch = project_wide["google_project_iam_member.switch_datastore_viewer"]
    assert switch["for_each"] == "${local.switch_only_profiles}"
    assert switch["condition"][0]["expression"] == quota["condition"][0]["expression"]
    # The invoker: only in the service module, only roles/run.invoker, only while
    # the invoker check is on.
    service_module = Config.load(TF_DIR / "modules" / "run-service")
    (invoker,) = [r for r in service_module.resources() if "_iam_" in r.type]
    assert literal(invoker.body["role"]) == "roles/run.invoker"
    assert "var.invoker.iam_check" in invoker.body["for_each"]


def test_service_settings(root_config: Config) -> None:
    (call,) = [
        body for _, name, body in root_config.named_blocks("module") if name == "profile_service"
    ]
    assert literal(call["cpu"]) == "1"  # more than one request per instance needs a vCPU
    assert call["concurrency"] == "${var.function_config.concurrency}"
    assert call["memory"] == "${each.value.available_memory}"
    assert "each.value.environment" in call["environment"]
    assert "TOKENVEND_API_KEY_SECRET = local.secret_name" in call["environment"]
    (service,) = [
        r
        for r in Config.load(TF_DIR / "modules" / "run-service").resources()
        if r.type == "google_cloud_run_v2_service"
    ]
    assert service.body["invoker_iam_disabled"] == "${!var.invoker.iam_check}"
    assert service.body["deletion_protection"] is False

    (function_config,) = [
        body for _, name, body in root_config.named_blocks("variable") if name == "function_config"
    ]
    attributes = function_config["type"]
    assert 'runtime = optional(string, "python312")' in attributes
    assert "timeout_seconds = optional(number, 30)" in attributes


def test_source_bucket_is_private(root_config: Config) -> None:
    resources = {r.address: r.body for r in root_config.resources()}
    bucket = resources["google_storage_bucket.source"]
    assert bucket["uniform_bucket_level_access"] is True
    assert literal(bucket["public_access_prevention"]) == "enforced"
    (rule,) = bucket["lifecycle_rule"]
    assert literal(rule["action"][0]["type"]) == "Delete"


def test_apis_are_never_disabled_on_destroy(root_config: Config) -> None:
    resources = {r.address: r.body for r in root_config.resources()}
    assert resources["google_project_service.enabled"]["disable_on_destroy"] is False


def test_checkov_skips_carry_a_reason() -> None:
    for path in sorted(TF_DIR.rglob("*.tf")):
        for line in path.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV\w+:\s*\S.{20,}", line), f"{path}: {line}"
