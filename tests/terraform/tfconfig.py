"""Helpers for the Terraform checks: HCL parsing, the provider-schema lint, and
running the provider-free profiles module for real (offline)."""

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

REPO = pathlib.Path(__file__).resolve().parents[2]
TF_DIR = REPO / "terraform"
PROFILES_MODULE = TF_DIR / "modules" / "profiles"
SOURCE_FILES_MODULE = TF_DIR / "modules" / "source-files"
SCHEMA_SUBSET = pathlib.Path(__file__).with_name("data") / "google-provider-6.50.0.subset.json"

# Terraform meta-arguments and meta-blocks: not provider arguments.
META_ARGUMENTS = {
    "connection",
    "count",
    "depends_on",
    "for_each",
    "lifecycle",
    "provider",
    "provisioner",
}

Body = dict[str, Any]


def unquote(key: str) -> str:
    """python-hcl2 keeps the quotes of block labels and string literals."""
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _is_block_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
    )


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


class SchemaLint:
    """Checks parsed google_* resources against the provider schema subset."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def check_config(self, config: Config) -> list[str]:
        errors: list[str] = []
        for res in config.resources("google_"):
            errors.extend(self.check_resource(res))
        return errors

    def check_resource(self, res: Resource) -> list[str]:
        key = res.type.removeprefix("google_")
        where = f"{res.file}: {res.address}"
        if key not in self.schema:
            return [
                f"{where}: resource type {res.type} is not in the provider schema subset (a typo, "
                "or add it to tests/terraform/data/make_schema_subset.py and regenerate)"
            ]
        return self._check_body(res.body, self.schema[key], where, top_level=True)

    def _check_body(
        self, body: Body, schema: dict[str, Any], where: str, *, top_level: bool
    ) -> list[str]:
        errors: list[str] = []
        attributes: dict[str, Any] = schema["attributes"]
        blocks: dict[str, Any] = schema["blocks"]
        computed = set(schema.get("computed_only", []))
        seen_attributes: set[str] = set()
        static_blocks: dict[str, int] = {}
        dynamic_blocks: set[str] = set()

        for name, value in body_items(body):
            if top_level and name in META_ARGUMENTS:
                continue
            if name == "dynamic":
                for dyn in value:
                    for raw_name, dyn_body in body_items(dyn):
                        dname = unquote(raw_name)
                        if dname not in blocks:
                            errors.append(f"{where}: unknown block {dname!r} (dynamic)")
                            continue
                        dynamic_blocks.add(dname)
                        for content in dyn_body.get("content", []):
                            errors += self._check_body(
                                content, blocks[dname], f"{where}.{dname}", top_level=False
                            )
                continue
            if _is_block_list(value):
                if name not in blocks:
                    hint = " (read-only)" if name in computed else ""
                    errors.append(f"{where}: unknown block {name!r}{hint}")
                    continue
                static_blocks[name] = static_blocks.get(name, 0) + len(value)
                for item in value:
                    errors += self._check_body(
                        item, blocks[name], f"{where}.{name}", top_level=False
                    )
                continue
            if name in computed:
                errors.append(f"{where}: {name!r} is read-only (computed) and must not be set")
            elif name in blocks:
                errors.append(f"{where}: {name!r} is a block, write it as `{name} {{ ... }}`")
            elif name not in attributes:
                errors.append(f"{where}: unknown argument {name!r}")
            else:
                seen_attributes.add(name)

        for name, spec in attributes.items():
            if spec.get("required") and name not in seen_attributes:
                errors.append(f"{where}: missing required argument {name!r}")
        for name, spec in blocks.items():
            written = static_blocks.get(name, 0) + (1 if name in dynamic_blocks else 0)
            if spec.get("required") and written == 0:
                errors.append(f"{where}: missing required block {name!r}")
            if spec.get("nesting") == "single" and written > 1:
                errors.append(f"{where}: block {name!r} may appear only once")
        return errors


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
