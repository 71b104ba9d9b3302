"""Helpers for the Terraform checks: HCL parsing, running the provider-free
modules for real (offline), and the function code's view of policies.

Every import from the tokenvend package used by tests/terraform is here, so a
restructure of the package has one place to fix."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hcl2

from tokenvend.clock import Clock
from tokenvend.errors import PolicyError
from tokenvend.gemini.api_key import CachedApiKey
from tokenvend.gemini.secret_manager import SecretManagerKey
from tokenvend.logs import REQUEST_EVENT, StructuredLog
from tokenvend.policy.loader import load_policy, policy_files
from tokenvend.policy.schema import policy_schema

# Where the function code defines its log reason codes (test_ops_reasons.py).
REASONS_MODULE = "tokenvend.reasons"

__all__ = [
    "REASONS_MODULE",
    "REQUEST_EVENT",
    "PolicyError",
    "cached_api_key",
    "load_policy",
    "policy_files",
    "policy_schema",
]


def cached_api_key(endpoint: str, secret: str, clock: Clock, log: StructuredLog) -> CachedApiKey:
    """The function's key source: Secret Manager at ``endpoint``, cached 600 s."""
    fetch = SecretManagerKey(f"{secret}/versions/latest", endpoint=endpoint, log=log)
    return CachedApiKey(fetch, clock=clock, log=log, ttl_seconds=600)


REPO = pathlib.Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"
PROFILES_MODULE = TF_DIR / "modules" / "profiles"
SOURCE_FILES_MODULE = TF_DIR / "modules" / "source-files"

Body = dict[str, Any]


def unquote(key: str) -> str:
    """python-hcl2 keeps the quotes of block labels and string literals."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def body_items(body: Body) -> Iterator[tuple[str, Any]]:
    """(name, value) pairs of a parsed block body, without parser annotations."""
    for key, value in body.items():
        if not key.startswith("__"):
            yield key, value


@dataclass
class Resource:
    type: str
    name: str
    body: Body
    file: str

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class Config:
    """A parsed Terraform folder (one module, not recursing into modules/)."""

    directory: pathlib.Path
    files: dict[str, Body] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: pathlib.Path) -> Config:
        config = cls(directory)
        for path in sorted(directory.glob("*.tf")):
            with path.open() as handle:
                config.files[path.name] = hcl2.load(handle)
        return config

    @classmethod
    def from_text(cls, text: str, name: str = "inline.tf") -> Config:
        config = cls(pathlib.Path("."))
        config.files[name] = hcl2.loads(text)
        return config

    def _entries(self, kind: str) -> Iterator[tuple[str, Body]]:
        for file_name, parsed in self.files.items():
            for entry in parsed.get(kind, []):
                yield file_name, entry

    def _typed_blocks(self, kind: str) -> list[Resource]:
        found = []
        for file_name, entry in self._entries(kind):
            for rtype, named in body_items(entry):
                for rname, body in body_items(named):
                    found.append(Resource(unquote(rtype), unquote(rname), body, file_name))
        return found

    def resources(self, prefix: str = "") -> list[Resource]:
        return [r for r in self._typed_blocks("resource") if r.type.startswith(prefix)]

    def data_sources(self) -> list[Resource]:
        return self._typed_blocks("data")

    def named_blocks(self, kind: str) -> list[tuple[str, str, Body]]:
        """variable, output or module blocks as (file, name, body), in file order."""
        found = []
        for file_name, entry in self._entries(kind):
            for name, body in body_items(entry):
                found.append((file_name, unquote(name), body))
        return found

    def local_names(self) -> set[str]:
        names: set[str] = set()
        for _, entry in self._entries("locals"):
            names.update(k for k, _ in body_items(entry))
        return names


def terraform_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CHECKPOINT_DISABLE="1",  # no version check call home: tests stay offline
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
    )
    env.pop("TF_DATA_DIR", None)
    return env


@dataclass
class TerraformRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, Any]


class ModuleRunner:
    """A private copy of a provider-free module, initialised once, applied per call.

    Applying a module without resources only evaluates it and stores its
    outputs, in a state file of its own under the test's temporary folder."""

    def __init__(self, binary: str, source: pathlib.Path, workdir: pathlib.Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.module = workdir / "module"
        shutil.copytree(source, self.module, ignore=shutil.ignore_patterns(".terraform*", "tests"))
        self._run("init", "-backend=false", "-input=false", "-no-color", check=True)
        self._count = 0

    def _run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.binary, f"-chdir={self.module}", *args],
            capture_output=True,
            text=True,
            env=terraform_env(),
            timeout=120,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc

    def apply(self, **variables: str | pathlib.Path) -> TerraformRun:
        """Paths are passed absolute, since terraform runs in the module copy."""
        self._count += 1
        state = self.workdir / f"run{self._count}.tfstate"
        values = {
            k: str(v.resolve()) if isinstance(v, pathlib.Path) else v for k, v in variables.items()
        }
        args = [
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            f"-state={state}",
            *(f"-var={k}={v}" for k, v in values.items()),
        ]
        proc = self._run(*args)
        outputs: dict[str, Any] = {}
        if proc.returncode == 0:
            out = self._run("output", "-json", "-no-color", f"-state={state}", check=True)
            outputs = {k: v["value"] for k, v in json.loads(out.stdout).items()}
        return TerraformRun(proc.returncode, proc.stdout, proc.stderr, outputs)
