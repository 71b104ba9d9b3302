"""Fixtures for the Terraform checks (helpers live in tfconfig.py)."""

import json
import os
import pathlib
import shutil

import pytest

from tests.terraform.planview import Plan
from tests.terraform.tfconfig import (
    PROFILES_MODULE,
    SOURCE_FILES_MODULE,
    TF_DIR,
    Config,
    ModuleRunner,
)
from tests.terraform.workspace import PROVIDER_PYTHON, Workspace, plan_scenarios


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
def plans(request: pytest.FixtureRequest) -> dict[str, Plan]:
    """The offline plans of make tf-plan, by scenario name (default, quotas).

    `make tf-plan` sets TF_PLAN_JSON_DIR to the folder where it has just planned,
    so its checks read those plans instead of planning again."""
    folder = os.environ.get("TF_PLAN_JSON_DIR")
    if folder:
        return {
            name: Plan(json.loads((pathlib.Path(folder) / f"{name}.json").read_text()))
            for name in plan_scenarios()
        }
    standin: Workspace = request.getfixturevalue("standin")
    planned = {}
    for name, args in plan_scenarios().items():
        result, shown = standin.plan(name, *args)
        assert result.returncode == 0, result.stderr
        planned[name] = Plan(shown)
    return planned
