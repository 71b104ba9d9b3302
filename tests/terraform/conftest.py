"""Fixtures for the Terraform checks (helpers live in tfconfig.py)."""

import json
import pathlib
import shutil
from typing import Any

import pytest

from tests.terraform.tfconfig import (
    PROFILES_MODULE,
    SCHEMA_SUBSET,
    SOURCE_FILES_MODULE,
    TF_DIR,
    Config,
    ModuleRunner,
    SchemaLint,
)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_SUBSET.read_text())
    return loaded


@pytest.fixture(scope="session")
def lint(schema: dict[str, Any]) -> SchemaLint:
    return SchemaLint(schema)


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
