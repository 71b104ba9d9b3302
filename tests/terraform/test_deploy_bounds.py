"""Terraform and the policy schema agree on the deploy section.

Both read ``deploy`` (the function's cold start through the schema, Terraform through
the profiles module), so each keeps its own copy of the bounds and defaults. These
tests derive boundary cases from the schema and check that Terraform accepts and
refuses exactly the files Python does, with the same values, so the copies cannot
drift apart unnoticed. Terraform's max_instances_limit (default 100, what Cloud
Run gives a service without a quota increase) is raised to the schema's maximum
here; the default limit has tests of its own (profiles module tests).
"""

from __future__ import annotations

import pathlib
from typing import Any

import yaml

from tests.terraform.tfconfig import REPO, ModuleRunner, PolicyError, load_policy, policy_schema

TEMPLATE: dict[str, Any] = yaml.safe_load(
    (REPO / "policies" / "voice-assistant.yaml").read_text(encoding="utf-8")
)
BOUNDS: dict[str, Any] = policy_schema()["properties"]["deploy"]["properties"]
SCHEMA_MAX = str(BOUNDS["max_instances"]["maximum"])


def deploy_variants() -> dict[str, dict[str, Any]]:
    """Profile name -> deploy section: each bound of the schema, just in and just out."""
    lowest_min, highest_min = BOUNDS["min_instances"]["minimum"], BOUNDS["min_instances"]["maximum"]
    lowest_max, highest_max = BOUNDS["max_instances"]["minimum"], BOUNDS["max_instances"]["maximum"]
    memory = BOUNDS["memory_mb"]["enum"]
    return {
        "defaults": {"public": True},
        "private": {"public": False},
        **{f"memory-{size}": {"public": True, "memory_mb": size} for size in memory},
        "memory-between": {"public": True, "memory_mb": memory[0] + 1},
        "min-lowest": {"public": True, "min_instances": lowest_min},
        "min-below": {"public": True, "min_instances": lowest_min - 1},
        "min-highest": {"public": True, "min_instances": highest_min, "max_instances": highest_max},
        "min-above": {
            "public": True,
            "min_instances": highest_min + 1,
            "max_instances": highest_max,
        },
        "max-lowest": {"public": True, "max_instances": lowest_max},
        "max-below": {"public": True, "max_instances": lowest_max - 1},
        "max-highest": {"public": True, "max_instances": highest_max},
        "max-above": {"public": True, "max_instances": highest_max + 1},
        "min-over-max": {"public": True, "min_instances": 3, "max_instances": 2},
        "min-fraction": {"public": True, "min_instances": 1.5},
        "public-missing": {"max_instances": 3},
        "public-text": {"public": "yes"},
    }


def write_variants(folder: pathlib.Path, names: list[str]) -> None:
    folder.mkdir()
    variants = deploy_variants()
    for name in names:
        document = {**TEMPLATE, "deploy": variants[name]}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


def python_accepts(folder: pathlib.Path, name: str) -> bool:
    try:
        load_policy(folder / f"{name}.yaml")
    except PolicyError:
        return False
    return True


def test_terraform_refuses_exactly_the_deploy_sections_the_schema_refuses(
    profiles_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    names = list(deploy_variants())
    write_variants(tmp_path / "all", names)
    refused_by_python = {name for name in names if not python_accepts(tmp_path / "all", name)}
    assert {"min-below", "max-above", "memory-between", "public-missing"} <= refused_by_python

    # One run per refused file: Terraform stops at the first failing precondition kind.
    for name in sorted(refused_by_python):
        write_variants(tmp_path / name, [name])
        run = profiles_module.apply(policies_dir=tmp_path / name, max_instances_limit=SCHEMA_MAX)
        assert run.returncode != 0, f"Terraform accepted {name}, the schema does not"
        assert f"{name}.yaml" in " ".join(run.stderr.split())


def test_terraform_deploys_what_the_schema_accepts_with_the_same_values(
    profiles_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    names = list(deploy_variants())
    write_variants(tmp_path / "all", names)
    accepted = [name for name in names if python_accepts(tmp_path / "all", name)]
    write_variants(tmp_path / "accepted", accepted)

    run = profiles_module.apply(policies_dir=tmp_path / "accepted", max_instances_limit=SCHEMA_MAX)

    assert run.returncode == 0, run.stderr
    profiles = run.outputs["profiles"]
    assert sorted(profiles) == sorted(accepted)
    for name in accepted:
        deploy = load_policy(tmp_path / "accepted" / f"{name}.yaml").deploy
        planned = profiles[name]
        assert (planned["public"], planned["min_instances"], planned["max_instances"]) == (
            deploy.public,
            deploy.min_instances,
            deploy.max_instances,
        ), name
        assert planned["memory_mb"] == deploy.memory_mb, name


def access_variants() -> dict[str, dict[str, Any]]:
    """Profile name -> the parts of a policy Terraform reads besides `deploy`."""
    app_check = {"project_number": "123456789012", "app_ids": ["1:123456789012:web:0a1b2c3d"]}
    access = TEMPLATE["access"]
    quotas = {"per_profile": {"tokens": 100, "per_seconds": 3600}}
    return {
        "plain": {},
        "quotas": {"quotas": quotas},
        "app-check": {"access": {**access, "app_check": app_check}},
        "consume-false": {"access": {**access, "app_check": {**app_check, "consume": False}}},
        "consume-true": {"access": {**access, "app_check": {**app_check, "consume": True}}},
        "both": {
            "quotas": quotas,
            "access": {**access, "app_check": {**app_check, "consume": True}},
        },
        "spend": {"spend": {"per_profile": {"usd": 10, "per_seconds": 86400}}},
        "switch-off": {"kill_switch": False},
    }


def test_terraform_reads_quotas_and_app_check_consume_as_the_function_does(
    profiles_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    for name, parts in access_variants().items():
        document = {**TEMPLATE, **parts}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")

    run = profiles_module.apply(policies_dir=tmp_path)

    assert run.returncode == 0, run.stderr
    profiles = run.outputs["profiles"]
    assert sorted(profiles) == sorted(access_variants())
    for name, planned in profiles.items():
        policy = load_policy(tmp_path / f"{name}.yaml")  # each variant is a valid policy
        consume = policy.access.app_check is not None and policy.access.app_check.consume
        assert (planned["quotas"], planned["kill_switch"], planned["app_check_consume"]) == (
            policy.quotas is not None,
            policy.kill_switch,
            consume,
        ), name
    assert sorted(run.outputs["app_check_consume_profiles"]) == ["both", "consume-true"]
    assert sorted(run.outputs["quota_profiles"]) == ["both", "quotas", "spend"]
    # The template (the shipped default) opts in to the kill switch; switch-off does not.
    switch_only = [
        n for n in sorted(profiles) if n not in ("both", "quotas", "spend", "switch-off")
    ]
    assert sorted(run.outputs["switch_only_profiles"]) == switch_only
