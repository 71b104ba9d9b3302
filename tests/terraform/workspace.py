"""A private copy of the root module, initialised against the stand-in provider.

Terraform writes .terraform/, a lock file (holding the stand-in's hashes, which
must never reach the repository or a real deployment's working directory) and
state next to the module, so the checks run on a copy: terraform/ is copied, and
the repository files the module reads (policies/, main.py, requirements.txt,
tokenvend/) are linked beside it, as in a checkout.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.terraform.standin.install import write_plugin_dir
from tests.terraform.tfconfig import REPO, TF_DIR, terraform_env

PROVIDER_PYTHON = REPO / ".venv-tfprovider" / "bin" / "python"
PLAN_VARS = pathlib.Path(__file__).with_name("plan.tfvars")
LINKED = ("policies", "main.py", "requirements.txt", "tokenvend")
NOT_COPIED = shutil.ignore_patterns(
    ".terraform", ".terraform.lock.hcl", ".build", "*.tfstate*", "*.tfplan", "terraform.tfvars"
)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """stderr with Terraform's line wrapping and box drawing undone."""
        return " ".join(self.stderr.replace("│", " ").split())


class Workspace:
    def __init__(
        self, root: pathlib.Path, binary: str = "terraform", source: pathlib.Path = TF_DIR
    ) -> None:
        self.root = root
        self.binary = binary
        self.source = source
        self.module = root / "terraform"
        self.plugins = root / "plugins"

    def create(self) -> Workspace:
        if self.module.exists():
            shutil.rmtree(self.module)
        shutil.copytree(self.source, self.module, ignore=NOT_COPIED)
        for name in LINKED:
            link = self.root / name
            if not link.is_symlink():
                link.symlink_to(REPO / name)
        write_plugin_dir(self.plugins, PROVIDER_PYTHON)
        return self

    def run(
        self,
        *args: str,
        echo: bool = False,
        env_extra: Mapping[str, str] | None = None,
        chdir: pathlib.Path | None = None,
    ) -> Result:
        env = {**terraform_env(), **(env_extra or {})}
        # The CLI configuration of the machine (mirrors, credentials helpers)
        # plays no part: providers come from the plugin folder only.
        env["TF_CLI_CONFIG_FILE"] = str(self.root / "terraformrc")
        (self.root / "terraformrc").write_text("", encoding="utf-8")
        proc = subprocess.run(
            [self.binary, f"-chdir={chdir or self.module}", *args],
            capture_output=not echo,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        return Result(proc.returncode, proc.stdout or "", proc.stderr or "")

    def init(self, echo: bool = False) -> Result:
        return self.run(
            "init", "-backend=false", "-input=false", f"-plugin-dir={self.plugins}", echo=echo
        )

    def validate(self, echo: bool = False) -> Result:
        return self.run("validate", "-no-color", echo=echo)

    def state(self, name: str) -> pathlib.Path:
        """Where the offline apply of scenario ``name`` keeps its state."""
        return self.root / f"{name}.tfstate"

    def plan(
        self, name: str, *args: str, echo: bool = False, state: pathlib.Path | None = None
    ) -> tuple[Result, dict[str, Any]]:
        """Plan with plan.tfvars plus args (against ``state``, default none);
        the plan as `terraform show -json`."""
        out = self.root / f"{name}.tfplan"
        state = state or self.root / f"{name}.empty.tfstate"
        result = self.run(
            "plan",
            "-input=false",
            "-no-color",
            f"-var-file={PLAN_VARS}",
            f"-state={state}",
            f"-out={out}",
            *args,
            echo=echo,
        )
        if result.returncode != 0:
            return result, {}
        shown = self.run("show", "-json", str(out))
        if shown.returncode != 0:
            return shown, {}
        plan: dict[str, Any] = json.loads(shown.stdout)
        (self.root / f"{name}.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
        return result, plan

    def apply(self, name: str, *args: str, env_extra: Mapping[str, str] | None = None) -> Result:
        """Apply scenario ``name`` (plan.tfvars plus args) into its own state. The
        image build step runs for real, with this interpreter (it has google-auth),
        against the endpoints ``env_extra`` names."""
        return self.run(
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"-var-file={PLAN_VARS}",
            f"-state={self.state(name)}",
            f"-var=build_python={sys.executable}",
            *args,
            env_extra=env_extra,
        )

    def planned_addresses(self, *args: str) -> set[str]:
        """Addresses a plan would create, from `plan -json`'s stream (no saved
        plan, no `show`: quicker where only the set of resources matters)."""
        result = self.run("plan", "-input=false", "-json", f"-var-file={PLAN_VARS}", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        return {
            m["change"]["resource"]["addr"] for m in messages if m.get("type") == "planned_change"
        }


QUOTA_FIXTURE = TF_DIR / "tests" / "fixtures" / "policies-with-quotas"


def plan_scenarios() -> dict[str, list[str]]:
    """The offline plans: name -> arguments on top of plan.tfvars.

    default: the repository's policies/ with every default. quotas: a policy
    folder with a quota profile and an App Check consume profile, email
    channels, a billing budget and the caller-hash salt from a secret.
    custom_domain: the load balancer with Cloud Armor, and public profiles
    opened by IAM bindings instead of the invoker check. Together they plan
    every optional piece of the configuration."""
    return {
        "default": [],
        "quotas": [
            f"-var=policies_dir={QUOTA_FIXTURE}",
            '-var=alert_emails=["ops@example.com", "oncall@example.com"]',
            "-var=budget="
            '{billing_account = "012345-6789AB-CDEF01", amount = 50, currency_code = "EUR"}',
            "-var=billing_project=tokenvend-plan-test",
            '-var=subject_hash_salt_secret={secret_id = "tokenvend-salt", version = "3"}',
        ],
        "custom_domain": [
            '-var=custom_domain={domain = "tokens.example.com"}',
            "-var=public_invoker=iam",
        ],
    }


# Applied against the stand-in, then planned again: the second plan must be empty.
APPLIED_SCENARIOS = ("default", "quotas", "custom_domain")
