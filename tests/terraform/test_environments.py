"""An environment (dev, staging, prod) is a thin root of its own that calls the
repository's terraform/ as a module, with its own state backend, variables and
policies: terraform/environments/example, planned offline like the root."""

from __future__ import annotations

from tests.terraform.tfconfig import TF_DIR, Config, load_policy, policy_files, unquote
from tests.terraform.workspace import PLAN_VARS, Workspace

EXAMPLE = TF_DIR / "environments" / "example"


def test_the_example_environment_calls_the_module_rather_than_copying_it() -> None:
    config = Config.load(EXAMPLE)
    (call,) = config.named_blocks("module")
    _, name, body = call
    assert (name, unquote(body["source"])) == ("tokenvend", "../..")
    assert unquote(body["policies_dir"]) == "${path.module}/policies"
    assert not config.resources()  # everything lives in the module
    (settings,) = config.files["main.tf"]["terraform"]
    (backend,) = settings["backend"]
    assert list(backend) == ['"gcs"']


def test_the_example_environment_has_policies_of_its_own_that_validate() -> None:
    files = policy_files(EXAMPLE / "policies")
    assert files
    for path in files:
        policy = load_policy(path)
        assert all(not o.startswith("http://localhost") for o in policy.access.allowed_origins)


def test_the_example_environment_plans_its_own_policies(standin: Workspace) -> None:
    root = standin.module / "environments" / "example"
    # Offline, the GCS backend is swapped for a local one (an override file).
    (root / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    init = standin.run("init", "-input=false", f"-plugin-dir={standin.plugins}", chdir=root)
    assert init.returncode == 0, init.stdout + init.stderr
    plan = standin.run("plan", "-input=false", "-no-color", f"-var-file={PLAN_VARS}", chdir=root)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert 'module.tokenvend.module.profile_service["voice-assistant"]' in plan.stdout
    # The environment's policy has quotas, the repository's does not.
    assert "module.tokenvend.google_firestore_field.counters_ttl[0]" in plan.stdout
