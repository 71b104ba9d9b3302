"""The client package (``client-js``) under Node's test runner against this run's real
function processes and the Live stand-in: tokens, typed errors with ``Retry-After``,
token reuse, and a voice session resumed after ``goAway`` (``client-js/test/``); what
``npm pack`` ships; and the Vite recipe as ``make recipes`` built it. Run with ``make e2e``.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.journey import CLIENT_PACKAGE, ROOT, Journey

pytestmark = pytest.mark.e2e


def test_client_package_tests_pass_against_the_function_and_the_live_stand_in(
    journey: Journey,
) -> None:
    result = journey.client_package
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "skipped 0" in output, output  # the servers were there: nothing was skipped
    assert "resumes after goAway on the same token" in output


def test_npm_pack_ships_the_code_the_types_and_the_worklet_but_not_the_tests() -> None:
    result = subprocess.run(
        ["npm", "pack", "--dry-run", "--json", "--loglevel=error"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=CLIENT_PACKAGE,
        check=True,
    )
    [packed] = json.loads(result.stdout)
    files = {entry["path"] for entry in packed["files"]}
    assert {
        "package.json",
        "README.md",
        "index.d.ts",
        "src/index.js",
        "src/mic-worklet.js",
    } <= files
    assert not any(path.startswith(("test/", "node_modules/")) for path in files)
    manifest = json.loads((CLIENT_PACKAGE / "package.json").read_text())
    assert list(manifest["dependencies"]) == ["@google/genai"]
    assert manifest["type"] == "module"


def test_the_vite_recipe_is_built_with_the_url_from_its_environment_and_the_worklet_as_a_file() -> (
    None
):
    assets = ROOT / "recipes" / "vite" / "dist" / "assets"
    assert assets.is_dir(), "run `make e2e` (its recipes step builds the Vite app)"
    bundles = [path.read_text() for path in assets.glob("index-*.js")]
    assert len(bundles) == 1
    assert "http://127.0.0.1:8080/" in bundles[0]  # VITE_TOKENVEND_URL, as make recipes sets it
    [worklet] = assets.glob("mic-worklet-*.js")
    assert "registerProcessor" in worklet.read_text()
