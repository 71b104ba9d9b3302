"""What the function source archive holds: an allowlist, nothing else."""

import pathlib

from tests.terraform.build_step import build_image
from tests.terraform.tfconfig import REPO, Config, ModuleRunner


def touch(path: pathlib.Path, text: str = "x\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_archive_holds_only_the_allowlisted_files(
    source_files_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    repo = tmp_path / "repo"
    for name in (
        "main.py",
        "requirements.txt",
        "tokenvend/__init__.py",
        "tokenvend/policy/policy.schema.json",
        "tokenvend/sub/module.py",
        "policies/voice.yaml",
        # Never uploaded:
        "tokenvend/__pycache__/policy.cpython-312.pyc",
        "tokenvend/sub/__pycache__/module.cpython-312.pyc",
        "tokenvend/stale.pyc",
        "policies/notes.md",
        "policies/old.yml",
        "policies/drafts/draft.yaml",
        "examples/policies/case-1.yaml",
        "tests/test_x.py",
        "requirements-dev.txt",
        ".venv/lib/site.py",
        "terraform/terraform.tfvars",
        "terraform/main.tf",
        ".env",
    ):
        touch(repo / name)

    run = source_files_module.apply(repo_root=repo, policies_dir=repo / "policies")

    assert run.returncode == 0, run.stderr
    files = run.outputs["files"]
    assert sorted(files) == [
        "main.py",
        "policies/voice.yaml",
        "requirements.txt",
        "tokenvend/__init__.py",
        "tokenvend/policy/policy.schema.json",
        "tokenvend/sub/module.py",
    ]
    assert files["tokenvend/sub/module.py"] == str(repo / "tokenvend/sub/module.py")


def test_the_archive_of_this_repository_ships_the_package_and_its_policies(
    source_files_module: ModuleRunner,
) -> None:
    run = source_files_module.apply(repo_root=REPO, policies_dir=REPO / "policies")

    assert run.returncode == 0, run.stderr
    files = set(run.outputs["files"])
    assert {"main.py", "requirements.txt", "tokenvend/policy/policy.schema.json"} <= files
    assert {f"policies/{p.name}" for p in (REPO / "policies").glob("*.yaml")} <= files
    assert not [f for f in files if "__pycache__" in f or f.startswith(("tests/", "examples/"))]


def test_a_missing_entry_point_fails_early(
    source_files_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    touch(tmp_path / "requirements.txt")
    (tmp_path / "policies").mkdir()

    run = source_files_module.apply(repo_root=tmp_path, policies_dir=tmp_path / "policies")

    assert run.returncode != 0
    assert "main.py and requirements.txt must exist" in " ".join(run.stderr.split())


def test_terraform_and_the_build_step_name_the_archive_after_the_same_hash(
    source_files_module: ModuleRunner, tmp_path: pathlib.Path
) -> None:
    repo = tmp_path / "repo"
    touch(repo / "main.py", "import tokenvend\n")
    touch(repo / "requirements.txt", "PyYAML==6.0.3\n")
    touch(repo / "tokenvend/__init__.py", "")
    touch(repo / "policies/voice.yaml", "description: é\n")  # not ASCII, on purpose

    run = source_files_module.apply(repo_root=repo, policies_dir=repo / "policies")

    assert run.returncode == 0, run.stderr
    assert run.outputs["sha256"] == build_image.source_sha256(run.outputs["files"])
    touch(repo / "policies/voice.yaml", "description: changed\n")
    changed = source_files_module.apply(repo_root=repo, policies_dir=repo / "policies")
    assert changed.outputs["sha256"] != run.outputs["sha256"]


def test_the_archive_name_carries_the_hash_and_the_services_record_it(root_config: Config) -> None:
    (source,) = [
        e
        for parsed in root_config.files.values()
        for e in parsed.get("locals", [])
        if "source_object" in e
    ]
    expected = "${var.name_prefix}/source-${module.source_files.sha256}.zip"
    assert source["source_object"].strip('"') == expected
    assert not [r for r in root_config.resources() if r.type == "google_storage_bucket_object"]
    assert not [d for d in root_config.data_sources() if d.type == "archive_file"]
