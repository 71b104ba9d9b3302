"""The plugin folder `terraform init -plugin-dir=...` installs the stand-in from.

Each provider is a small launcher script at the path Terraform expects
(DIR/registry.terraform.io/hashicorp/NAME/VERSION/OS_ARCH/terraform-provider-NAME_vVERSION)
that runs `python -m tests.terraform.standin NAME` with the stand-in's own
Python. The folder holds machine paths, so it is built per run, never committed.
"""

from __future__ import annotations

import pathlib
import platform
import shlex
import stat

from tests.terraform.standin.schemas import PROVIDERS

REPO = pathlib.Path(__file__).resolve().parents[3]
ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def platform_name() -> str:
    return f"{platform.system().lower()}_{ARCH.get(platform.machine().lower(), 'amd64')}"


def write_plugin_dir(target: pathlib.Path, python: pathlib.Path) -> pathlib.Path:
    """Write launchers for every stand-in provider under target; return target."""
    for name, (_, version) in PROVIDERS.items():
        folder = target / "registry.terraform.io" / "hashicorp" / name / version / platform_name()
        folder.mkdir(parents=True, exist_ok=True)
        launcher = folder / f"terraform-provider-{name}_v{version}"
        launcher.write_text(
            "#!/bin/sh\n"
            "# Stand-in provider for offline plans (tests/terraform/standin).\n"
            f"PYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(str(python))} "
            f"-m tests.terraform.standin {name}\n",
            encoding="utf-8",
        )
        launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target
