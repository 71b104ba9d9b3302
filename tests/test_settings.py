"""Settings: every variable parsed once, every bad value named with what would be valid."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tokenvend.cli.settings import describe_settings
from tokenvend.errors import ConfigurationError
from tokenvend.settings import Settings, declared


def test_unset_environment_gives_the_documented_defaults() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.gemini_api_version == "v1alpha"
    assert settings.api_key_ttl_seconds == 600
    assert settings.firestore_database == "(default)"
    assert settings.policy_dir == ROOT / "policies"


@pytest.mark.parametrize(
    ("configured", "version_name"),
    [
        ("projects/p/secrets/s", "projects/p/secrets/s/versions/latest"),
        ("projects/p/secrets/s/versions/3", "projects/p/secrets/s/versions/3"),
    ],
)
def test_secret_name_defaults_to_the_latest_version(configured: str, version_name: str) -> None:
    settings = Settings.from_environ({"TOKENVEND_API_KEY_SECRET": configured})
    assert settings.api_key_secret == version_name


@pytest.mark.parametrize("bad", ["gemini-key", "projects/p/secrets/", "secrets/s", "projects/p/s"])
def test_malformed_secret_name_is_a_configuration_error_showing_the_form(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="TOKENVEND_API_KEY_SECRET must be projects/"):
        Settings.from_environ({"TOKENVEND_API_KEY_SECRET": bad})


@pytest.mark.parametrize("bad", ["²", "0", "-5", "1.5", "ten", "99999999"])
def test_ttl_that_is_not_a_whole_number_in_range_is_a_clear_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({"TOKENVEND_API_KEY_TTL_SECONDS": bad})
    assert str(caught.value) == (
        f"TOKENVEND_API_KEY_TTL_SECONDS must be a whole number from 1 to 86400, got {bad!r}"
    )


@pytest.mark.parametrize("bad", ["0", "61", "nan", "inf", "-1", "soon"])
def test_timeout_message_states_the_real_range(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("above 0 and at most 60, got")):
        Settings.from_environ({"TOKENVEND_GEMINI_TIMEOUT_SECONDS": bad})


@pytest.mark.parametrize("bad", ["0", "1000.5", "nan", "inf", "-1", "all", "５０"])
def test_a_pause_threshold_outside_0_to_1000_percent_stops_the_guard(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape("above 0 and at most 1000, got")):
        Settings.from_environ({"TOKENVEND_BUDGET_PAUSE_AT_PERCENT": bad})


def test_the_guard_reads_its_threshold_and_budget_id() -> None:
    settings = Settings.from_environ(
        {"TOKENVEND_BUDGET_PAUSE_AT_PERCENT": "90.5", "TOKENVEND_BUDGET_ID": "6f4c2a9e-1b7d"}
    )
    assert (settings.budget_pause_at_percent, settings.budget_id) == (90.5, "6f4c2a9e-1b7d")
    assert Settings.from_environ({}).budget_pause_at_percent == 100.0
    with pytest.raises(ConfigurationError, match="TOKENVEND_BUDGET_ID must be a budget id"):
        Settings.from_environ({"TOKENVEND_BUDGET_ID": "billingAccounts/a/budgets/b"})


def test_api_version_other_than_v1alpha_or_v1beta_stops_the_instance() -> None:
    assert Settings.from_environ({"TOKENVEND_GEMINI_API_VERSION": "v1beta"}).gemini_api_version == (
        "v1beta"
    )
    with pytest.raises(ConfigurationError, match="one of v1alpha, v1beta, got 'v1'"):
        Settings.from_environ({"TOKENVEND_GEMINI_API_VERSION": "v1"})


def test_every_bad_variable_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ(
            {"TOKENVEND_GEMINI_ENDPOINT": "ftp://x", "TOKENVEND_TRUSTED_PROXY_HOPS": "many"}
        )
    assert "TOKENVEND_GEMINI_ENDPOINT" in str(caught.value)
    assert "TOKENVEND_TRUSTED_PROXY_HOPS" in str(caught.value)


def test_a_bad_secret_value_is_never_echoed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environ({"TOKENVEND_SUBJECT_HASH_SALT": "x", "TOKENVEND_PROFILE": "Bad!"})
    assert "Bad!" in str(caught.value)
    settings = Settings.from_environ({"GEMINI_API_KEY": "AIza-very-secret"})
    assert "AIza-very-secret" not in repr(settings)


def test_each_tokenvend_variable_is_spelled_in_the_settings_module_only() -> None:
    spelled = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tokenvend").rglob("*.py")
        if re.search(r"\bTOKENVEND_[A-Z_]+", path.read_text(encoding="utf-8"))
    }
    assert spelled == {"tokenvend/settings.py"}


def test_settings_command_lists_every_variable_from_the_declarations() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tokenvend", "settings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"GEMINI_API_KEY": "AIza-do-not-print", "PATH": "/usr/bin:/bin"},
    )
    listed = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert listed == [setting.env for setting in declared()]
    assert "AIza-do-not-print" not in result.stdout
    assert Path(ROOT / "tokenvend" / "settings.py").is_file()


def _documented_variables() -> list[str]:
    """First column of the table under "## The variables" in docs/configuration.md."""
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = page.split("## The variables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE)


def test_configuration_page_documents_exactly_the_variables_the_settings_command_prints() -> None:
    printed = [
        line for line in describe_settings({}).splitlines() if line and not line.startswith(" ")
    ]
    documented = _documented_variables()
    assert len(documented) == len(set(documented)), "a variable is documented twice"
    assert sorted(set(printed) - set(documented)) == [], "missing from docs/configuration.md"
    assert sorted(set(documented) - set(printed)) == [], "documented but not a setting"


def test_a_developers_shell_cannot_leak_a_setting_into_the_tests() -> None:
    # Every declared setting set in the shell that runs pytest, to a value that would
    # break the tests below (most are invalid; the API key would be sent to Gemini).
    shell = {setting.env: "leaked-from-the-shell" for setting in declared()}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-cov",
            "tests/web/test_endpoint.py::test_each_request_writes_one_structured_log_line",
            "tests/gemini/test_minter.py",
            "tests/test_process.py",
        ],
        cwd=ROOT,
        env={**os.environ, **shell},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
