"""The set of functions Terraform deploys follows the files in policies/.

Terraform's view comes from running the provider-free profiles module for real,
and from plans of the root module against the stand-in provider."""

import pathlib
import shutil
import textwrap

import pytest

from tests.terraform.tfconfig import PROFILES_MODULE, REPO, Config, ModuleRunner, policy_files
from tests.terraform.workspace import Workspace

FIXTURES = PROFILES_MODULE / "tests" / "fixtures"


def write_policy(folder: pathlib.Path, name: str, *, public: bool) -> None:
    (folder / f"{name}.yaml").write_text(
        textwrap.dedent(f"""\
            description: test profile {name}
            deploy:
              public: {str(public).lower()}
        """)
    )


def test_terraform_deploys_exactly_the_policies_that_make_validate_checks(
    profiles_module: ModuleRunner, root_config: Config
) -> None:
    policies = REPO / "policies"
    expected = [p.stem for p in policy_files(policies)]
    assert expected, "policies/ ships no profile"

    run = profiles_module.apply(policies_dir=policies)
    assert run.returncode == 0, run.stderr
    assert sorted(run.outputs["profiles"]) == expected

    # And the root module really points the profiles module at policies/.
    (module,) = [body for _, name, body in root_config.named_blocks("module") if name == "profiles"]
    assert module["policies_dir"] == "${local.policies_dir}"
    policies_dir = [
        entry["policies_dir"]
        for parsed in root_config.files.values()
        for entry in parsed.get("locals", [])
        if "policies_dir" in entry
    ]
    assert policies_dir == ['${coalesce(var.policies_dir, "${path.module}/../policies")}']


def test_terraform_and_python_agree_on_which_files_are_policies(
    profiles_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    for name in ("alpha", "beta-2"):
        write_policy(tmp_path, name, public=False)
    (tmp_path / "README.md").write_text("not a policy\n")
    (tmp_path / "gamma.yml").write_text("deploy: {public: true}\n")
    (tmp_path / "delta.YAML").write_text("deploy: {public: true}\n")
    (tmp_path / "nested").mkdir()
    write_policy(tmp_path / "nested", "epsilon", public=True)

    run = profiles_module.apply(policies_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(run.outputs["profiles"]) == [p.stem for p in policy_files(tmp_path)]
    assert sorted(run.outputs["profiles"]) == ["alpha", "beta-2"]


def added(name: str, *, binding: bool = False) -> set[str]:
    """What one profile adds: its service, its account, its key access (and, in the
    public_invoker = "iam" mode for a public profile, its invoker binding)."""
    service = f'module.profile_service["{name}"]'
    found = {
        f"{service}.google_cloud_run_v2_service.this",
        f'google_service_account.function["{name}"]',
        f'google_secret_manager_secret_iam_member.function["{name}"]',
    }
    if binding:
        found.add(f'{service}.google_cloud_run_v2_service_iam_member.invoker["allUsers"]')
    return found


def test_adding_and_removing_a_policy_adds_and_removes_one_service_with_its_iam(
    standin: Workspace, tmp_path: pathlib.Path
) -> None:
    def plan() -> set[str]:
        return standin.planned_addresses(f"-var=policies_dir={tmp_path}", "-var=public_invoker=iam")

    write_policy(tmp_path, "alpha", public=True)
    before = plan()

    write_policy(tmp_path, "beta", public=True)
    with_public = plan()
    assert with_public - before == added("beta", binding=True)
    assert before <= with_public

    write_policy(tmp_path, "gamma", public=False)
    with_private = plan()
    assert with_private - with_public == added("gamma"), "a private profile gets no binding"

    (tmp_path / "beta.yaml").unlink()
    after_removal = plan()
    assert with_private - after_removal == added("beta", binding=True)
    assert after_removal - with_private == set()


def test_each_service_runs_as_its_own_account_with_its_own_binding(root_config: Config) -> None:
    resources = {r.address: r.body for r in root_config.resources()}
    (call,) = [
        body for _, name, body in root_config.named_blocks("module") if name == "profile_service"
    ]
    assert call["for_each"] == "${module.profiles.profiles}"
    assert call["service_account_email"] == "${google_service_account.function[each.key].email}"
    binding = resources["google_secret_manager_secret_iam_member.function"]
    assert binding["member"] == (
        '"serviceAccount:${google_service_account.function[each.key].email}"'
    )


BAD_FIXTURES = [
    ("bad-name", "Voice_Tutor.yaml", "Rename each to lowercase kebab-case"),
    ("bad-yaml", "broken.yaml", "not valid YAML"),
    ("no-deploy", "no-deploy.yaml", "have no `deploy` mapping"),
    ("bad-public", "quoted-public.yaml", "`deploy.public` set to true or false"),
    ("bad-min", "negative-min.yaml", "whole number from 0 to 100"),
    ("bad-max", "zero-max.yaml", "whole number from 1 to 1000"),
    ("over-limit", "busy.yaml", "raise max_instances_limit"),
    ("bad-bounds", "max-below-min.yaml", "Raise max_instances or lower min_instances"),
    ("bad-memory", "odd-memory.yaml", "Use one of 128, 256, 512, 1024, 2048, 4096"),
    ("unknown-key", "cpu-key.yaml", "Allowed keys: max_instances, memory_mb, min_instances"),
]


@pytest.mark.parametrize(("fixture", "file_name", "fix"), BAD_FIXTURES)
def test_a_bad_policy_fails_with_one_message_naming_the_file_and_the_fix(
    profiles_module: ModuleRunner,
    tmp_path: pathlib.Path,
    fixture: str,
    file_name: str,
    fix: str,
) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(FIXTURES / fixture, folder)
    write_policy(folder, "a-good-one", public=True)  # a good neighbour is not blamed

    run = profiles_module.apply(policies_dir=folder)

    assert run.returncode != 0
    message = " ".join(run.stderr.split())  # terraform wraps long messages
    assert message.count("precondition failed") == 1, run.stderr
    assert file_name in message
    assert fix in message
    assert "a-good-one.yaml" not in message
