"""Regenerate google-provider-6.50.0.subset.json from the full offline schema.

Usage: python tests/terraform/data/make_schema_subset.py FULL_SCHEMA.json

FULL_SCHEMA.json is the shared extract of hashicorp/google 6.50.0 (argument and
block names of every google_* resource, taken from @cdktf/provider-google@16.12.1,
the same data as in the PyPI wheel cdktf-cdktf-provider-google==16.12.1). Only the
resource types named in RESOURCE_TYPES are copied; add a type here when the
Terraform code starts using it, then rerun.
"""

import json
import pathlib
import sys

RESOURCE_TYPES = [
    "cloud_run_v2_service_iam_member",
    "cloudfunctions2_function",
    "project_service",
    "secret_manager_secret",
    "secret_manager_secret_iam_member",
    "service_account",
    "storage_bucket",
    "storage_bucket_object",
]

OUT = pathlib.Path(__file__).with_name("google-provider-6.50.0.subset.json")


def main(full_schema: str) -> None:
    full = json.loads(pathlib.Path(full_schema).read_text())
    subset = {
        "_source": full["_source"],
        "_note": (
            "Subset of the offline google provider schema for tests/terraform; "
            "regenerate with make_schema_subset.py."
        ),
    }
    for name in RESOURCE_TYPES:
        subset[name] = full[name]
    OUT.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
