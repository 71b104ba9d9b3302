"""Regenerate google-provider-6.50.0.schema-subset.json from the full schema.

Usage: python tests/terraform/data/make_schema_subset.py FULL.providers-schema.json.gz

FULL is the real hashicorp/google 6.50.0 schema in the shape `terraform providers
schema -json` prints for one provider (kept in the project's shared folder, see
README.md). Only the types named below are copied; add a type here when the
Terraform code starts using it, then rerun (test_standin_schemas.py checks the copy).
"""

import gzip
import json
import pathlib
import sys

RESOURCE_TYPES = [
    "google_artifact_registry_repository",
    "google_artifact_registry_repository_iam_member",
    "google_billing_budget",
    "google_cloud_run_v2_service",
    "google_cloud_run_v2_service_iam_member",
    "google_compute_backend_service",
    "google_compute_global_address",
    "google_compute_global_forwarding_rule",
    "google_compute_managed_ssl_certificate",
    "google_compute_region_network_endpoint_group",
    "google_compute_security_policy",
    "google_compute_target_https_proxy",
    "google_compute_url_map",
    "google_eventarc_trigger",
    "google_firestore_database",
    "google_firestore_field",
    "google_logging_metric",
    "google_monitoring_alert_policy",
    "google_monitoring_dashboard",
    "google_monitoring_notification_channel",
    "google_project_iam_member",
    "google_project_service",
    "google_pubsub_topic",
    "google_pubsub_topic_iam_member",
    "google_secret_manager_secret",
    "google_secret_manager_secret_iam_member",
    "google_service_account",
    "google_storage_bucket",
    "google_storage_bucket_iam_member",
]
DATA_SOURCE_TYPES = ["google_project", "google_secret_manager_secret"]

SOURCE = (
    "hashicorp/google 6.50.0, `terraform providers schema -json` shape; from the public "
    "repository lonegunmanb/terraform-google-schema (MIT), tag v6.50.0, generated/; the "
    "provider block written by hand from the provider's documentation"
)
OUT = pathlib.Path(__file__).with_name("google-provider-6.50.0.schema-subset.json")


def subset(full: dict[str, object]) -> dict[str, object]:
    resources = full["resource_schemas"]
    data_sources = full["data_source_schemas"]
    assert isinstance(resources, dict)
    assert isinstance(data_sources, dict)
    return {
        "_source": SOURCE,
        "provider": full["provider"],
        "resource_schemas": {name: resources[name] for name in RESOURCE_TYPES},
        "data_source_schemas": {name: data_sources[name] for name in DATA_SOURCE_TYPES},
    }


def main(full_path: str) -> None:
    with gzip.open(full_path, "rt", encoding="utf-8") as handle:
        full = json.load(handle)
    OUT.write_text(json.dumps(subset(full), indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
