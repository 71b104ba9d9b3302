"""The schemas the stand-in serves are the real ones: the committed google
subset equals the shared extract of hashicorp/google 6.50.0 type for type, and
every type the configuration (modules included) uses is in it."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest

from tests.terraform.standin.schemas import DATA, PROVIDERS
from tests.terraform.tfconfig import REPO, TF_DIR

SHARED = REPO.parent / "shared" / "terraform"


def committed(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / PROVIDERS[name][0]).read_text(encoding="utf-8"))
    return loaded


def test_the_google_subset_equals_the_shared_real_schema() -> None:
    full_path = SHARED / "google-provider-6.50.0.providers-schema.json.gz"
    if not full_path.is_file():
        pytest.skip(f"the shared schema ({full_path.name}) is not beside this checkout")
    with gzip.open(full_path, "rt", encoding="utf-8") as handle:
        full = json.load(handle)
    subset = committed("google")
    assert "hashicorp/google 6.50.0" in subset["_source"]
    assert subset["provider"] == full["provider"]
    for kind in ("resource_schemas", "data_source_schemas"):
        for name, entry in subset[kind].items():
            assert entry == full[kind][name], f"{name} differs: rerun data/make_schema_subset.py"


def test_every_type_the_configuration_uses_is_served() -> None:
    paths = [p for p in sorted(TF_DIR.rglob("*.tf")) if ".terraform" not in p.parts]
    text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    # terraform_data is Terraform's own (terraform.io/builtin/terraform), not a provider's.
    resources = set(re.findall(r'^resource "(\w+)"', text, flags=re.MULTILINE)) - {"terraform_data"}
    data_sources = set(re.findall(r'^data "(\w+)"', text, flags=re.MULTILINE))
    served_resources = {t for name in PROVIDERS for t in committed(name)["resource_schemas"]}
    served_data = {t for name in PROVIDERS for t in committed(name)["data_source_schemas"]}
    assert resources <= served_resources, "add the type to data/make_schema_subset.py"
    assert data_sources <= served_data, "add the type to data/make_schema_subset.py"
    # And nothing is served that the configuration no longer uses.
    assert served_resources - resources == set()
