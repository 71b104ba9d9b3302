"""terraform/scripts/build_image.py, run as Terraform runs it (a process with the
build spec in its environment) against a loopback fake of the Storage, Cloud
Run build and Cloud Build APIs (fake_build_api.py)."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.terraform.build_step import SCRIPT, build_image
from tests.terraform.fake_build_api import FakeBuildApi

IMAGE = "europe-west1-docker.pkg.dev/p/tokenvend-images/mint-token:abc"
BASE = "europe-west1-docker.pkg.dev/serverless-runtimes/google-22-full/runtimes/python312"
BUILDER = "projects/p/serviceAccounts/tokenvend-build@p.iam.gserviceaccount.com"


@pytest.fixture
def files(tmp_path: pathlib.Path) -> dict[str, str]:
    (tmp_path / "tokenvend").mkdir()
    contents = {
        "main.py": "import tokenvend\n",
        "requirements.txt": "PyYAML==6.0.3\n",
        "tokenvend/__init__.py": "",
        "policies/voice.yaml": "description: voix\n",
    }
    paths = {}
    for name, text in contents.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    return paths


@pytest.fixture
def api() -> Iterator[FakeBuildApi]:
    with FakeBuildApi(polls_before_done=3) as fake:
        yield fake


def spec(files: dict[str, str], **changes: Any) -> dict[str, Any]:
    return {
        "project": "p",
        "region": "europe-west1",
        "bucket": "p-tokenvend-source",
        "object": f"tokenvend/source-{build_image.source_sha256(files)}.zip",
        "files": files,
        "source_sha256": build_image.source_sha256(files),
        "image": IMAGE,
        "function_target": "mint_token",
        "base_image": BASE,
        "service_account": BUILDER,
        "timeout_seconds": 60,
        **changes,
    }


def run(api: FakeBuildApi, build_spec: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOKENVEND_BUILD")},
        **api.endpoints(),
        build_image.SPEC_VARIABLE: json.dumps(build_spec),
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), "build"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_build_uploads_the_named_archive_then_submits_a_function_build_and_follows_it(
    api: FakeBuildApi, files: dict[str, str]
) -> None:
    build_spec = spec(files)

    done = run(api, build_spec)

    assert done.returncode == 0, done.stderr
    (uploaded,) = api.objects.items()
    assert uploaded[0] == f"p-tokenvend-source/{build_spec['object']}"
    with zipfile.ZipFile(io.BytesIO(uploaded[1])) as archive:
        assert sorted(archive.namelist()) == sorted(files)
        assert archive.read("policies/voice.yaml") == b"description: voix\n"
    (build,) = api.builds
    assert build.request == {
        "storageSource": {"bucket": "p-tokenvend-source", "object": build_spec["object"]},
        "imageUri": IMAGE,
        "buildpackBuild": {
            "baseImage": BASE,
            "functionTarget": "mint_token",
            "enableAutomaticUpdates": True,
        },
        "serviceAccount": BUILDER,
        "tags": ["tokenvend", "target-mint-token"],
    }
    assert build.polls == 3  # followed until the operation was done
    assert f"built {IMAGE} sha256:" in done.stdout


def test_a_failed_build_fails_the_step_with_its_log_url(
    api: FakeBuildApi, files: dict[str, str]
) -> None:
    api.outcome = "FAILURE"

    done = run(api, spec(files))

    assert done.returncode == 1
    assert "the build ended FAILURE: step 2 failed" in done.stderr
    assert "logs: https://console.example/build-1" in done.stderr


def test_a_refused_submission_says_what_the_api_said(
    api: FakeBuildApi, files: dict[str, str]
) -> None:
    api.submit_status = 403

    done = run(api, spec(files))

    assert done.returncode == 1
    assert "cannot submit the build: HTTP 403 PERMISSION_DENIED: denied by the fake" in done.stderr
    assert api.builds == []


def test_an_archive_already_uploaded_is_not_uploaded_again(
    api: FakeBuildApi, files: dict[str, str]
) -> None:
    assert run(api, spec(files)).returncode == 0
    first = dict(api.objects)

    again = run(api, spec(files))  # a rebuild of the same source (another base image, say)

    assert again.returncode == 0, again.stderr
    assert api.objects == first
    assert len(api.builds) == 2


def test_files_changed_since_the_plan_stop_the_build_before_anything_is_sent(
    api: FakeBuildApi, files: dict[str, str]
) -> None:
    planned = spec(files)
    pathlib.Path(files["policies/voice.yaml"]).write_text("description: changed\n")

    done = run(api, planned)

    assert done.returncode == 1
    assert "changed after terraform planned" in done.stderr
    assert api.objects == {} and api.builds == []


def test_a_spec_that_is_not_one_is_refused_with_the_variable_named(api: FakeBuildApi) -> None:
    done = run(api, {"project": "p"})
    assert done.returncode == 1
    assert "TOKENVEND_BUILD_SPEC is not a build spec" in done.stderr


def test_the_archive_is_the_same_bytes_for_the_same_files(files: dict[str, str]) -> None:
    first = build_image.archive(files)
    for path in files.values():  # other times and modes, the same content
        os.utime(path, (1_000_000_000, 1_000_000_000))
        os.chmod(path, 0o600)
    reordered = dict(reversed(list(files.items())))
    assert build_image.archive(reordered) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        modes = {info.external_attr >> 16 for info in archive.infolist()}
        dates = {info.date_time for info in archive.infolist()}
    assert modes == {0o100644} and dates == {build_image.ZIP_DATE}


def test_the_build_stops_at_its_deadline_saying_it_may_still_finish(
    files: dict[str, str],
) -> None:
    with FakeBuildApi(polls_before_done=10**6) as api:
        builder = build_image.Builder(
            build_image.Spec.from_json(json.dumps(spec(files, timeout_seconds=0))),
            build_image.session_for({k: api.url for k in ("storage", "run", "cloudbuild")}),
            {k: api.url for k in ("storage", "run", "cloudbuild")},
            poll_seconds=0.0,
        )
        with pytest.raises(build_image.BuildFailed, match="did not finish within 0 s"):
            builder.run()
