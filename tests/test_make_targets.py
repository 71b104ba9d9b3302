"""What the first-contact targets do, read from ``make -n`` (nothing is run): ``make run``
and ``make fake-gemini`` install only the runtime requirements, and ``make plan`` /
``make deploy`` validate with ``--strict`` unless ``STRICT=0`` opts out."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.process import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(*arguments: str) -> str:
    """``make -n`` as if nothing were installed yet (``-B``: every target out of date)."""
    result = subprocess.run(
        ["make", "-n", "-B", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize("target", ["run", "fake-gemini"])
def test_first_run_installs_the_runtime_requirements_only(target: str) -> None:
    commands = dry_run(target)
    assert "pip install --quiet -r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


def test_test_installs_the_dev_toolchain_on_top() -> None:
    assert "-r requirements-dev.txt" in dry_run("lint")


@pytest.mark.parametrize("target", ["plan", "deploy"])
def test_plan_and_deploy_validate_strictly_by_default(target: str) -> None:
    commands = dry_run(target)
    assert "-m tokenvend validate --strict policies" in commands


@pytest.mark.parametrize("target", ["plan", "deploy"])
def test_strict_0_opts_out_of_the_strict_validation(target: str) -> None:
    commands = dry_run(target, "STRICT=0")
    assert "-m tokenvend validate" in commands
    assert "--strict" not in commands
