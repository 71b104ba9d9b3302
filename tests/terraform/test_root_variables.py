"""The root module's input validations, run for real: variables.tf needs no
provider, so a copy of it alone is a module terraform can plan offline."""

import pathlib
import shutil
import subprocess

import pytest

from tests.terraform.tfconfig import TF_DIR, terraform_env

REQUIRED = ["-var=project_id=my-project-123", "-var=region=europe-west1"]


@pytest.fixture(scope="module")
def variables_module(terraform_bin: str, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    module: pathlib.Path = tmp_path_factory.mktemp("root-variables")
    shutil.copy(TF_DIR / "variables.tf", module / "variables.tf")
    subprocess.run(
        [terraform_bin, f"-chdir={module}", "init", "-backend=false", "-input=false"],
        capture_output=True,
        env=terraform_env(),
        check=True,
        timeout=120,
    )
    return module


def plan(terraform_bin: str, module: pathlib.Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [terraform_bin, f"-chdir={module}", "plan", "-input=false", "-no-color", *args],
        capture_output=True,
        text=True,
        env=terraform_env(),
        check=False,
        timeout=120,
    )
    return proc.returncode, " ".join(proc.stderr.split())


VALID = [
    [],
    ["-var=name_prefix=tv"],
    ['-var=api_key_secret={create = false, project_id = "secrets-prj-1", secret_id = "gemini"}'],
    ['-var=api_key_secret={replica_locations = ["europe-west1", "europe-west4"]}'],
    ['-var=function_config={runtime = "python313", concurrency = 1, timeout_seconds = 60}'],
    ["-var=build_service_account=builder@my-project-123.iam.gserviceaccount.com"],
    ['-var=labels={team = "web", cost_center = "c-1"}'],
    ["-var=app_check_project_id=my-firebase-app"],
    [
        "-var=subject_hash_salt_secret="
        '{secret_id = "salt", project_id = "secrets-prj-1", version = "1"}'
    ],
    ['-var=subject_hash_salt_secret={secret_id = "salt", version = "3"}'],
    ["-var=public_invoker=iam", '-var=public_invoker_members=["domain:example.com"]'],
    ["-var=trusted_proxy_hops=1"],
    ['-var=custom_domain={domain = "tokens.example.com", rate_limit_per_minute = 600}'],
    ["-var=image_build={timeout_seconds = 600, keep_images = 3}", "-var=build_python=/opt/py"],
]


@pytest.mark.parametrize("args", VALID)
def test_valid_inputs_are_accepted(
    terraform_bin: str, variables_module: pathlib.Path, args: list[str]
) -> None:
    code, errors = plan(terraform_bin, variables_module, *REQUIRED, *args)
    assert code == 0, errors


INVALID = [
    (["-var=project_id=My Project", "-var=region=europe-west1"], "project_id must be a project id"),
    (["-var=project_id=my-project-123", "-var=region=europe-west1-b"], "not a zone"),
    (["-var=name_prefix=Token_Vend"], "name_prefix must be 2 to 20 characters"),
    (["-var=name_prefix=abcdefghij-abcdefghij"], "name_prefix must be 2 to 20 characters"),
    (['-var=api_key_secret={secret_id = "projects/p/secrets/s"}'], "not a projects/... path"),
    (
        ['-var=api_key_secret={create = false, replica_locations = ["europe-west1"]}'],
        "only applies when Terraform creates the secret",
    ),
    (['-var=function_config={runtime = "python311"}'], "python312 or newer"),
    (["-var=function_config={concurrency = 0}"], "from 1 to 1000"),
    (["-var=function_config={timeout_seconds = 3600}"], "from 5 to 300"),
    (["-var=build_service_account=builder"], "must be a service account email"),
    (['-var=labels={Team = "web"}'], "labels keys must start with a lowercase letter"),
    (["-var=source_retention_days=0"], "from 1 to 3650"),
    (["-var=app_check_project_id=123456789012"], "not the project number"),
    (
        ['-var=subject_hash_salt_secret={secret_id = "projects/p/secrets/s", version = "1"}'],
        "the bare id",
    ),
    (['-var=subject_hash_salt_secret={secret_id = "s", version = "v2"}'], "a version number"),
    (['-var=subject_hash_salt_secret={secret_id = "s", version = "latest"}'], 'not "latest"'),
    (['-var=subject_hash_salt_secret={secret_id = "s"}'], '"version" is required'),
    (["-var=public_invoker=allUsers"], '"allUsers" -> "iam"'),
    (['-var=public_invoker_members=["everyone"]'], "must hold IAM principals"),
    (["-var=trusted_proxy_hops=1.5"], "whole number from 0 to 5"),
    (['-var=custom_domain={domain = "https://tokens.example.com"}'], "no scheme"),
    (['-var=custom_domain={domain = "t.example.com", rate_limit_per_minute = 0}'], "from 1"),
    (['-var=function_config={base_image_stack = "ubuntu"}'], "runtime stack"),
    (["-var=metrics_propagation_seconds=-1"], "from 0 to 900"),
    (["-var=image_build={keep_images = 1}"], "at least 2"),
]


@pytest.mark.parametrize(("args", "message"), INVALID)
def test_invalid_inputs_are_refused_with_a_fix(
    terraform_bin: str, variables_module: pathlib.Path, args: list[str], message: str
) -> None:
    defaults = [a for a in REQUIRED if a.split("=")[1] not in {x.split("=")[1] for x in args}]
    code, errors = plan(terraform_bin, variables_module, *defaults, *args)
    assert code != 0
    assert message in errors, errors
