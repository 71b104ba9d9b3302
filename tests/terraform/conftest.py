"""Fixtures for the Terraform checks (helpers live in tfconfig.py)."""

import json
import os
import pathlib
import shutil
from typing import Any

import pytest

from tests.terraform import offline_plan
from tests.terraform.planview import Plan
from tests.terraform.tfconfig import (
    PROFILES_MODULE,
    SOURCE_FILES_MODULE,
    TF_DIR,
    Config,
    ModuleRunner,
)
from tests.terraform.workspace import APPLIED_SCENARIOS, PROVIDER_PYTHON, Workspace, plan_scenarios


@pytest.fixture(scope="session")
def root_config() -> Config:
    return Config.load(TF_DIR)


@pytest.fixture(scope="session")
def profiles_config() -> Config:
    return Config.load(PROFILES_MODULE)


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed")
    return binary


@pytest.fixture(scope="session")
def profiles_module(terraform_bin: str, tmp_path_factory: pytest.TempPathFactory) -> ModuleRunner:
    workdir: pathlib.Path = tmp_path_factory.mktemp("profiles-module")
    return ModuleRunner(terraform_bin, PROFILES_MODULE, workdir)


@pytest.fixture(scope="session")
def source_files_module(
    terraform_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> ModuleRunner:
    workdir: pathlib.Path = tmp_path_factory.mktemp("source-files-module")
    return ModuleRunner(terraform_bin, SOURCE_FILES_MODULE, workdir)


@pytest.fixture(scope="session")
def standin(terraform_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the root module, initialised against the stand-in provider."""
    if not PROVIDER_PYTHON.exists():
        pytest.skip("the stand-in provider's venv (.venv-tfprovider) is missing: run make tf-plan")
    workspace = Workspace(tmp_path_factory.mktemp("standin"), terraform_bin).create()
    init = workspace.init()
    assert init.returncode == 0, init.stdout + init.stderr
    return workspace


@pytest.fixture(scope="session")
def offline_run(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The folder of a complete `make tf-plan` run: plans, applied states, second plans.

    `make tf-plan` (and `make test` after it) sets TF_PLAN_JSON_DIR to the folder it
    has just filled, so the checks read it instead of planning and applying again."""
    folder = os.environ.get("TF_PLAN_JSON_DIR")
    if folder:
        return pathlib.Path(folder)
    if not PROVIDER_PYTHON.exists():
        pytest.skip("the stand-in provider's venv (.venv-tfprovider) is missing: run make tf-plan")
    run = tmp_path_factory.mktemp("offline-plan")
    assert offline_plan.main(run) == 0, "the offline plan failed: run make tf-plan to see why"
    return run


def _plan_names() -> list[str]:
    return [*plan_scenarios(), "quotas-off", *(f"{name}-again" for name in APPLIED_SCENARIOS)]


@pytest.fixture(scope="session")
def plans(offline_run: pathlib.Path) -> dict[str, Plan]:
    """The offline plans by name: each scenario, each applied scenario planned again
    (NAME-again), and the applied quotas deployment planned with quotas off."""
    return {
        name: Plan(json.loads((offline_run / f"{name}.json").read_text())) for name in _plan_names()
    }


@pytest.fixture(scope="session")
def applied_builds(offline_run: pathlib.Path) -> list[dict[str, Any]]:
    """The requests the offline applies' build step sent to the fake build API."""
    builds: list[dict[str, Any]] = json.loads((offline_run / "builds.json").read_text())
    return builds


@pytest.fixture(scope="session")
def applied_states(offline_run: pathlib.Path) -> dict[str, str]:
    """The state files the offline applies wrote, as text."""
    return {name: (offline_run / f"{name}.tfstate").read_text() for name in APPLIED_SCENARIOS}
