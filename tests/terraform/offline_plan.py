"""`make tf-plan`: init, validate and plan the root module offline.

Runs in a copy of terraform/ under the folder given (default .tfplan/) with the
stand-in provider, prints what Terraform says, and leaves each plan there as
`terraform show -json` (NAME.json) and as text (NAME.txt). A mistake in the
configuration stops it with Terraform's own message and a non-zero exit.

    python -m tests.terraform.offline_plan [FOLDER]
"""

from __future__ import annotations

import pathlib
import sys

from tests.terraform.tfconfig import TF_DIR
from tests.terraform.workspace import PROVIDER_PYTHON, Workspace, plan_scenarios


def main(folder: pathlib.Path, source: pathlib.Path = TF_DIR) -> int:
    """Exit status: 0 when init, validate, every plan and the tests pass."""
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
    for name, args in plan_scenarios().items():
        result, _ = workspace.plan(name, *args)
        (folder / f"{name}.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
        if result.returncode != 0:
            print(f"terraform plan ({name}) failed:\n{result.stderr}")
            return 1
        summary = [line for line in result.stdout.splitlines() if line.startswith("Plan:")]
        print(f"terraform plan ({name}): {' '.join(summary)} -> {folder / (name + '.json')}")
    result = workspace.run("test", "-no-color")
    print(result.stdout + result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".tfplan")))
