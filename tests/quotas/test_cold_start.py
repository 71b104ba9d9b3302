"""What quotas add to a cold start: nothing for profiles without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.quotas.conftest import write_quota_policy

ROOT = Path(__file__).resolve().parents[2]


def modules_after_cold_start(environment: str, prefixes: tuple[str, ...]) -> list[str]:
    code = (
        "import json, os, sys\n"
        f"os.environ.update({environment})\n"
        "import main\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    # The last line: a cold start may log a warning first.
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_a_profile_without_quotas_or_kill_switch_never_imports_the_quota_package() -> None:
    environment = (
        f"TOKENVEND_PROFILE='case-2-locked', GEMINI_API_KEY='x', "
        f"TOKENVEND_POLICY_DIR='{ROOT / 'examples' / 'policies'}'"
    )
    assert modules_after_cold_start(environment, ("tokenvend.quotas",)) == []


def test_a_kill_switch_profile_loads_the_switch_but_no_counting_and_no_google_auth() -> None:
    environment = "TOKENVEND_PROFILE='voice-assistant', GEMINI_API_KEY='x', "
    environment += "GOOGLE_CLOUD_PROJECT='demo'"
    loaded = modules_after_cold_start(environment, ("tokenvend.quotas", "google.auth"))
    assert "tokenvend.quotas.pause" in loaded
    assert not [name for name in loaded if name.startswith("google.auth")]


def test_a_quota_profile_defers_google_auth_to_its_first_firestore_call(tmp_path: Path) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_caller: {tokens: 1, per_seconds: 60}\n")
    environment = (
        f"TOKENVEND_PROFILE='kiosk', GEMINI_API_KEY='x', TOKENVEND_POLICY_DIR='{tmp_path}', "
        "GOOGLE_CLOUD_PROJECT='demo'"
    )
    loaded = modules_after_cold_start(environment, ("tokenvend.quotas", "google.auth"))
    assert "tokenvend.quotas.gate" in loaded
    assert not [name for name in loaded if name.startswith("google.auth")]
