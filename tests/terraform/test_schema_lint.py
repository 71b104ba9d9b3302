"""Every google_* resource in terraform/ is checked against the provider schema
(hashicorp/google 6.50.0, see data/README.md): no unknown or read-only
arguments, no missing required ones. `terraform validate` cannot run here
because the google provider cannot be downloaded offline."""

import json
import textwrap
from typing import Any

import pytest

from tests.terraform.tfconfig import REPO, TF_DIR, Config, SchemaLint


def all_configs() -> list[Config]:
    modules = sorted({p.parent for p in (TF_DIR / "modules").glob("*/*.tf")})
    return [Config.load(d) for d in [TF_DIR, *modules]]


def test_every_google_resource_matches_the_provider_schema(lint: SchemaLint) -> None:
    errors: list[str] = []
    checked = 0
    for config in all_configs():
        errors += lint.check_config(config)
        checked += len(config.resources("google_"))
    assert checked >= 8, "almost no google_* resources found: is the parser reading terraform/?"
    assert errors == []


def test_schema_subset_records_its_provenance(schema: dict[str, Any]) -> None:
    assert "hashicorp/google 6.50.0" in schema["_source"]
    assert "@cdktf/provider-google@16.12.1" in schema["_source"]


def test_schema_subset_matches_the_shared_extract(schema: dict[str, Any]) -> None:
    full_path = REPO.parent / "shared" / "terraform" / "google-provider-6.50.0.schema.json"
    if not full_path.is_file():
        pytest.skip("the shared schema extract is not next to this checkout")
    full = json.loads(full_path.read_text())
    assert schema["_source"] == full["_source"]
    for name, entry in schema.items():
        if not name.startswith("_"):
            assert entry == full[name], f"{name} differs: rerun data/make_schema_subset.py"


def test_child_modules_use_no_provider() -> None:
    modules = sorted({p.parent for p in (TF_DIR / "modules").glob("*/*.tf")})
    assert modules, "terraform/modules/ holds no module"
    for path in modules:
        config = Config.load(path)
        assert config.resources() == [], f"{path.name} must stay provider-free"
        assert config.data_sources() == [], f"{path.name} must stay provider-free"


BUCKET = 'resource "google_storage_bucket" "x" {\n  name = "b"\n  location = "EU"\n%s}\n'
FUNCTION = 'resource "google_cloudfunctions2_function" "x" {\n  name = "f"\n  location = "r"\n%s}\n'
ACCOUNT = 'resource "google_service_account" "x" {\n%s}\n'
SECRET = 'resource "google_secret_manager_secret" "x" {\n  secret_id = "s"\n%s}\n'

VALID = ACCOUNT % textwrap.dedent("""\
    for_each   = var.m
    account_id = "abcdef"
    depends_on = [google_project_service.enabled]
    lifecycle {
      create_before_destroy = true
    }
""")

MISTAKES = [
    (ACCOUNT % 'account_idd = "abcdef"\n', "unknown argument 'account_idd'"),
    (ACCOUNT % 'display_name = "x"\n', "missing required argument 'account_id'"),
    (ACCOUNT % 'account_id = "abcdef"\nemail = "a@b"\n', "'email' is read-only"),
    (BUCKET % "versioning {\n  enable = true\n}\n", "unknown argument 'enable'"),
    (BUCKET % 'logging_config {\n  log_bucket = "l"\n}\n', "unknown block 'logging_config'"),
    (
        BUCKET % "versioning {\n  enabled = true\n}\nversioning {\n  enabled = false\n}\n",
        "block 'versioning' may appear only once",
    ),
    (
        BUCKET % 'lifecycle_rule {\n  action {\n    type = "Delete"\n  }\n}\n',
        "missing required block 'condition'",
    ),
    (SECRET % "", "missing required block 'replication'"),
    (
        SECRET
        % 'replication {\n  dynamic "automatic" {\n    for_each = [1]\n    content {}\n  }\n}\n',
        "unknown block 'automatic' (dynamic)",
    ),
    (FUNCTION % 'service_config {\n  uri = "u"\n}\n', "'uri' is read-only"),
    (FUNCTION % 'build_config {\n  entrypoint = "main"\n}\n', "unknown argument 'entrypoint'"),
    (
        'resource "google_cloud_run_service_iam_membr" "x" {\n  member = "allUsers"\n}\n',
        "is not in the provider schema subset",
    ),
]


def test_the_lint_accepts_meta_arguments(lint: SchemaLint) -> None:
    assert lint.check_config(Config.from_text(VALID)) == []


@pytest.mark.parametrize(("snippet", "expected"), [m for m in MISTAKES if m[1]])
def test_the_lint_reports_each_kind_of_mistake(
    lint: SchemaLint, snippet: str, expected: str
) -> None:
    errors = lint.check_config(Config.from_text(snippet))
    assert any(expected in e for e in errors), errors


def test_no_secret_version_can_reach_terraform_state() -> None:
    """A secret version written by Terraform would store the API key in state."""
    for path in sorted(TF_DIR.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        text = path.read_text()
        assert "google_secret_manager_secret_version" not in text, path
        assert "secret_data" not in text, path
    types = {r.type for c in all_configs() for r in c.resources() + c.data_sources()}
    assert not {t for t in types if "secret_version" in t}, types
