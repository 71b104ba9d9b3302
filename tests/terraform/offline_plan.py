"""`make tf-plan`: init, validate, plan, apply and plan again, all offline.

Runs in a copy of terraform/ under the folder given (default .tfplan/) with the
stand-in provider:

1. init and validate; then plan each scenario of ``plan_scenarios()`` and leave
   the plan there as `terraform show -json` (NAME.json) and as text (NAME.txt);
2. the root module's `terraform test` files;
3. for each scenario of ``APPLIED_SCENARIOS``: apply it (the stand-in stores
   state; the image build step runs for real against a loopback fake of the
   build APIs), then plan again, which must say "No changes" (NAME-again.json);
4. quotas off and on again: the applied quotas state planned with the default
   policies (quotas-off.json), which must keep the quota database.

A mistake in the configuration stops it with Terraform's own message and a
non-zero exit; so does a second plan that is not empty, showing the changes.

    python -m tests.terraform.offline_plan [FOLDER]
"""

from __future__ import annotations

import json
import pathlib
import sys

from tests.terraform.fake_build_api import FakeBuildApi
from tests.terraform.tfconfig import TF_DIR
from tests.terraform.workspace import (
    APPLIED_SCENARIOS,
    PROVIDER_PYTHON,
    Result,
    Workspace,
    plan_scenarios,
)


def _saved(folder: pathlib.Path, name: str, result: Result) -> None:
    (folder / f"{name}.txt").write_text(result.stdout + result.stderr, encoding="utf-8")


def _summary(result: Result) -> str:
    lines = result.stdout.splitlines()
    return " ".join(line for line in lines if line.startswith(("Plan:", "No changes.")))


def plan_all(workspace: Workspace, folder: pathlib.Path) -> bool:
    for name, args in plan_scenarios().items():
        result, _ = workspace.plan(name, *args)
        _saved(folder, name, result)
        if result.returncode != 0:
            print(f"terraform plan ({name}) failed:\n{result.stderr}")
            return False
        print(f"terraform plan ({name}): {_summary(result)} -> {folder / (name + '.json')}")
    return True


def apply_and_plan_again(workspace: Workspace, folder: pathlib.Path) -> bool:
    scenarios = plan_scenarios()
    with FakeBuildApi() as builds:
        for name in APPLIED_SCENARIOS:
            # A first apply, from nothing, as in a new project.
            for stale in workspace.root.glob(f"{name}.tfstate*"):
                stale.unlink()
            applied = workspace.apply(name, *scenarios[name], env_extra=builds.endpoints())
            _saved(folder, f"{name}-apply", applied)
            if applied.returncode != 0:
                print(f"terraform apply ({name}) failed:\n{applied.stdout}{applied.stderr}")
                return False
            again, _ = workspace.plan(
                f"{name}-again", *scenarios[name], state=workspace.state(name)
            )
            _saved(folder, f"{name}-again", again)
            if again.returncode != 0 or "No changes." not in again.stdout:
                print(f"the plan after applying {name} is not empty:\n{again.stdout}{again.stderr}")
                return False
            print(f"terraform apply ({name}), then plan: {_summary(again)}")
        # What the build step sent, for the checks on it (test_plan.py).
        requests = [build.request for build in builds.builds]
        (folder / "builds.json").write_text(json.dumps(requests, indent=1), encoding="utf-8")
    off, _ = workspace.plan("quotas-off", state=workspace.state("quotas"))
    _saved(folder, "quotas-off", off)
    if off.returncode != 0:
        print(f"terraform plan (quotas off) failed:\n{off.stderr}")
        return False
    print(f"terraform plan (quotas off after quotas): {_summary(off)}")
    return True


def main(folder: pathlib.Path, source: pathlib.Path = TF_DIR, apply: bool = True) -> int:
    """Exit status: 0 when every step passes."""
    if not PROVIDER_PYTHON.exists():
        print(f"{PROVIDER_PYTHON} is missing: run `make tf-plan`, which builds it.")
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(folder.resolve(), source=source).create()
    steps = [("init", workspace.init), ("validate", workspace.validate)]
    for name, step in steps:
        result = step()
        if result.returncode != 0:
            print(f"terraform {name} failed:\n{result.stdout}{result.stderr}")
            return 1
        print(f"terraform {name}: ok")
    if not plan_all(workspace, folder):
        return 1
    result = workspace.run("test", "-no-color")
    print(result.stdout + result.stderr)
    if result.returncode != 0:
        return result.returncode
    if apply and not apply_and_plan_again(workspace, folder):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tfplan")))
