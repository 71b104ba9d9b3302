"""A mistake in the Terraform code stops `make tf-plan` with Terraform's own
message: the stand-in serves the real schema, and Terraform does the checking.

Each test plants one mistake in a copy of terraform/ and runs the same driver
`make tf-plan` runs (tests/terraform/offline_plan.py) on it."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from tests.terraform import offline_plan
from tests.terraform.tfconfig import TF_DIR
from tests.terraform.workspace import PROVIDER_PYTHON

MISTAKES = [
    pytest.param(
        "build.tf",
        '  display_name = "tokenvend builds"',
        '  display_nam = "tokenvend builds"',
        'An argument named "display_nam" is not expected here. Did you mean "display_name"?',
        id="unknown-argument",
    ),
    pytest.param(
        "source.tf",
        "  soft_delete_policy {",
        "  soft_delete_policy = {",
        'An argument named "soft_delete_policy" is not expected here. '
        'Did you mean to define a block of type "soft_delete_policy"?',
        id="block-written-as-attribute",
    ),
    pytest.param(
        "modules/run-service/main.tf",
        "max_instance_request_concurrency = var.concurrency",
        'max_instance_request_concurrency = ["sixteen"]',
        'Inappropriate value for attribute "max_instance_request_concurrency": number required.',
        id="wrong-type",
    ),
    pytest.param(
        "firestore.tf",
        "  ttl_config {}",
        "  ttl_config {}\n  ttl_config {}",
        'No more than 1 "ttl_config" blocks are allowed',
        id="block-repeated-beyond-max-items",
    ),
]


@pytest.mark.parametrize(("file_name", "correct", "planted", "message"), MISTAKES)
def test_a_planted_mistake_fails_tf_plan_with_terraforms_message(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    file_name: str,
    correct: str,
    planted: str,
    message: str,
) -> None:
    if not PROVIDER_PYTHON.exists():
        pytest.skip("the stand-in provider's venv (.venv-tfprovider) is missing: run make tf-plan")
    source = tmp_path / "terraform"
    shutil.copytree(TF_DIR, source, ignore=shutil.ignore_patterns(".terraform*", ".build"))
    target = source / file_name
    original = target.read_text(encoding="utf-8")
    assert correct in original, f"{file_name} changed: plant the mistake elsewhere"
    target.write_text(original.replace(correct, planted, 1), encoding="utf-8")

    status = offline_plan.main(tmp_path / "run", source=source)

    printed = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert status != 0
    assert "terraform validate failed" in printed
    assert message in printed, printed
    assert file_name in printed
