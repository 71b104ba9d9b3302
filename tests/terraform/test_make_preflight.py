"""`make plan` and `make deploy` stop before Terraform when something they need is
missing, and say what to do (they never reach Google Cloud here)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.terraform.tfconfig import REPO, terraform_env


def make_plan(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        ["make", "--no-print-directory", "plan", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=terraform_env(),
        timeout=300,
        check=False,
    )


def test_an_unknown_environment_says_how_to_make_one() -> None:
    done = make_plan("ENV=no-such-env")
    assert done.returncode != 0
    assert "No environment no-such-env: copy terraform/environments/example" in done.stdout


def test_an_environment_without_its_tfvars_says_which_file_to_write() -> None:
    done = make_plan("ENV=example")  # the example ships no terraform.tfvars, on purpose
    assert done.returncode != 0
    assert "Missing terraform/environments/example/terraform.tfvars" in done.stdout
    assert "1 valid, 0 invalid" in done.stdout  # its own policies were checked
