"""Policy files: what loads, what is refused, and how the refusal reads."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tokenvend.errors import ConfigurationError, PolicyError
from tokenvend.policy.loader import load_policy, load_profile, policy_files
from tokenvend.policy.model import PROFILE_NAME
from tokenvend.settings import Settings

SHIPPED = policy_files(ROOT / "policies") + policy_files(ROOT / "examples" / "policies")

VALID = """\
description: Test profile.
token: {uses: 1, expire_after_seconds: 600, new_session_expire_after_seconds: 60}
live:
  model: gemini-3.8-live
  config: {responseModalities: [AUDIO]}
  lock: all
access:
  allowed_origins: [https://app.example.com]
  callers: anonymous
deploy: {public: true}
"""


def write(tmp_path: Path, text: str, name: str = "test-profile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> dict[str, str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.source == str(path)
    return dict(caught.value.problems)


def test_shipped_policies_and_seed_examples_exist() -> None:
    names = {path.stem for path in SHIPPED}
    assert "voice-assistant" in names
    assert {"case-1-unconstrained", "case-2-locked", "case-4-configured"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_and_example_policy_loads(path: Path) -> None:
    assert load_policy(path).profile == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_policy_carries_the_schema_modeline(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    assert (path.parent / first_line.split("=", 1)[1]).resolve().name == "policy.schema.json"


def test_valid_policy_becomes_frozen_dataclasses(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, VALID))
    assert policy.token.expire_after_seconds == 600
    assert policy.access.allowed_origins == frozenset({"https://app.example.com"})
    assert policy.deploy.max_instances == 10 and policy.deploy.memory_mb == 256
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.token.uses = 5  # type: ignore[misc]
    assert policy.live is not None
    with pytest.raises(TypeError):
        policy.live.config["temperature"] = 2  # type: ignore[index]


def test_every_problem_of_a_file_is_reported_at_once_with_its_path(tmp_path: Path) -> None:
    text = VALID.replace("uses: 1", "uses: -1").replace("public: true", "public: maybe")
    text = text.replace("[https://app.example.com]", "['https://app.example.com/']")
    problems = problems_of(write(tmp_path, text))
    assert set(problems) == {"token.uses", "deploy.public", "access.allowed_origins[0]"}
    assert "at least 0" in problems["token.uses"]
    assert "true or false" in problems["deploy.public"]
    assert "no path" in problems["access.allowed_origins[0]"]


def test_message_names_file_path_and_what_would_be_valid(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("lock: all", "lock: everything"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    assert "live.lock" in message and "'all'" in message and "configured_plus" in message


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (("callers: anonymous", "callers: everyone"), "access.callers"),
        (("[https://app.example.com]", "['*']"), "access.allowed_origins[0]"),
        (("[https://app.example.com]", "['https://*.example.com']"), "access.allowed_origins[0]"),
        (("[https://app.example.com]", "['https://App.example.com']"), "access.allowed_origins[0]"),
        (("[https://app.example.com]", "[]"), "access.allowed_origins"),
        (("lock: all", "lock: {configured_plus: [colour]}"), "live.lock.configured_plus[0]"),
        (("{responseModalities: [AUDIO]}", "{temprature: 1}"), "live.config.temprature"),
        (("{responseModalities: [AUDIO]}", "{temperature: 3}"), "live.config.temperature"),
        (
            ("expire_after_seconds: 600", "expire_after_seconds: 72001"),
            "token.expire_after_seconds",
        ),
        (("expire_after_seconds: 600", "expire_after_seconds: 59"), "token.expire_after_seconds"),
        (("deploy: {public: true}", "deploy: {public: true, memory_mb: 300}"), "deploy.memory_mb"),
        (("deploy: {public: true}", "deploy: {}"), "deploy"),
        (("description: Test profile.\n", ""), "(document)"),
        (("model: gemini-3.8-live", "model: 'gemini 2'"), "live.model"),
    ],
)
def test_invalid_value_is_refused_at_its_path(
    tmp_path: Path, change: tuple[str, str], path: str
) -> None:
    assert path in problems_of(write(tmp_path, VALID.replace(*change)))


def test_new_session_window_longer_than_token_lifetime_is_refused(tmp_path: Path) -> None:
    text = VALID.replace(
        "new_session_expire_after_seconds: 60", "new_session_expire_after_seconds: 601"
    )
    problem = problems_of(write(tmp_path, text))["token.new_session_expire_after_seconds"]
    assert "at most expire_after_seconds (600)" in problem


def test_origin_with_default_port_is_refused_with_the_fix(tmp_path: Path) -> None:
    text = VALID.replace("https://app.example.com", "https://app.example.com:443")
    problem = problems_of(write(tmp_path, text))["access.allowed_origins[0]"]
    assert "'https://app.example.com'" in problem


def test_min_instances_above_max_instances_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("{public: true}", "{public: true, min_instances: 3, max_instances: 2}")
    assert "max_instances (2)" in problems_of(write(tmp_path, text))["deploy.min_instances"]


@pytest.mark.parametrize("name", ["Voice", "1voice", "voice_bot", "voice-", "a" * 41])
def test_file_name_that_is_not_a_valid_profile_name_is_refused(tmp_path: Path, name: str) -> None:
    assert "kebab-case" in problems_of(write(tmp_path, VALID, f"{name}.yaml"))["(file name)"]


def test_the_profile_name_pattern_is_the_one_terraform_checks_file_names_with() -> None:
    main_tf = (ROOT / "terraform" / "modules" / "profiles" / "main.tf").read_text(encoding="utf-8")
    (terraform_pattern,) = re.findall(r'name_regex\s*=\s*"([^"]+)"', main_tf)
    assert terraform_pattern == PROFILE_NAME.pattern


def test_the_profile_setting_takes_exactly_the_names_a_policy_file_may_have() -> None:
    for name in ["voice", "voice-bot-2", "a" * 40, "Voice", "voice_bot", "voice-", "a" * 41]:
        valid = PROFILE_NAME.match(name) is not None
        try:
            Settings.from_environ({"TOKENVEND_PROFILE": name})
        except ConfigurationError:
            assert not valid, name
        else:
            assert valid, name


def test_duplicate_key_is_refused_with_its_line(tmp_path: Path) -> None:
    problem = problems_of(write(tmp_path, VALID + "description: Again.\n"))["(file)"]
    assert "'description' appears twice" in problem and "line 11" in problem


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    problem = problems_of(write(tmp_path, VALID.replace("[AUDIO]}", "[AUDIO}")))["(file)"]
    assert "not valid YAML" in problem and "line 5" in problem


def test_yaml_tags_that_build_python_objects_are_refused(tmp_path: Path) -> None:
    text = VALID.replace("Test profile.", "!!python/object/apply:os.system [echo hacked]")
    assert "not valid YAML" in problems_of(write(tmp_path, text))["(file)"]


def test_config_keeps_the_documented_field_order_whatever_the_author_wrote(tmp_path: Path) -> None:
    text = VALID.replace(
        "{responseModalities: [AUDIO]}",
        "{systemInstruction: Hi., temperature: 0.1, responseModalities: [AUDIO]}",
    )
    policy = load_policy(write(tmp_path, text))
    assert policy.live is not None
    assert list(policy.live.config) == ["responseModalities", "temperature", "systemInstruction"]


def test_unknown_profile_names_the_profiles_there_are(tmp_path: Path) -> None:
    write(tmp_path, VALID, "kiosk.yaml")
    with pytest.raises(PolicyError, match="no policy file for profile 'kiosk-2'; found: kiosk"):
        load_profile(tmp_path, "kiosk-2")


def test_policy_files_are_only_the_yaml_files_of_the_folder(tmp_path: Path) -> None:
    write(tmp_path, VALID, "b.yaml")
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "notes.yml")
    write(tmp_path, VALID, "README.md")
    assert [path.name for path in policy_files(tmp_path)] == ["a.yaml", "b.yaml"]


def test_schema_problems_and_cross_field_problems_are_reported_together(tmp_path: Path) -> None:
    text = VALID.replace("uses: 1", "uses: -1").replace(
        "new_session_expire_after_seconds: 60", "new_session_expire_after_seconds: 601"
    )
    text = text.replace("https://app.example.com]", "https://app.example.com:443]")
    text = text.replace("{public: true}", "{public: maybe, min_instances: 11}")
    problems = problems_of(write(tmp_path, text))
    assert set(problems) == {
        "token.uses",
        "token.new_session_expire_after_seconds",
        "access.allowed_origins[0]",
        "deploy.public",
        "deploy.min_instances",
    }
    window = problems["token.new_session_expire_after_seconds"]
    assert "at most expire_after_seconds (600)" in window
    assert "max_instances (10)" in problems["deploy.min_instances"]


@pytest.mark.parametrize(
    "change",
    [
        ("expire_after_seconds: 600", "expire_after_seconds: soon"),
        ("new_session_expire_after_seconds: 60", "new_session_expire_after_seconds: [1]"),
        (
            "token: {uses: 1, expire_after_seconds: 600, new_session_expire_after_seconds: 60}",
            "token: 5",
        ),
        ("deploy: {public: true}", "deploy: {public: true, max_instances: many}"),
        ("[https://app.example.com]", "[5]"),
        ("callers: anonymous", "callers: anonymous\n  app_check: {project_number: 12}"),
    ],
)
def test_cross_field_rule_is_skipped_when_a_part_it_reads_is_invalid(
    tmp_path: Path, change: tuple[str, str]
) -> None:
    # The schema problem is reported; the rule neither crashes on the bad part nor
    # adds a second, confusing problem about it.
    problems = problems_of(write(tmp_path, VALID.replace(*change)))
    assert all("at most" not in message for message in problems.values()), problems


def test_app_id_of_another_project_is_reported_beside_a_schema_problem(tmp_path: Path) -> None:
    app_check = "\n  app_check: {project_number: '12', app_ids: ['1:99:web:ab']}"
    text = VALID.replace("callers: anonymous", "callers: anonymous" + app_check)
    problems = problems_of(write(tmp_path, text.replace("lock: all", "lock: some")))
    assert set(problems) == {"live.lock", "access.app_check.app_ids[0]"}
    assert "project number 99, not 12" in problems["access.app_check.app_ids[0]"]


def test_deploy_defaults_are_the_dataclass_defaults(tmp_path: Path) -> None:
    # min_instances above the default max_instances is refused with that default.
    text = VALID.replace("{public: true}", "{public: true, min_instances: 11}")
    assert "max_instances (10)" in problems_of(write(tmp_path, text))["deploy.min_instances"]
    deploy = load_policy(write(tmp_path, VALID)).deploy
    assert (deploy.min_instances, deploy.max_instances, deploy.memory_mb) == (0, 10, 256)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (".nan", "not a number JSON can carry"),
        ("-.inf", "not a number JSON can carry"),
        ("!!binary aGk=", "no JSON form"),
        ("!!set {0.5}", "no JSON form"),
    ],
)
def test_yaml_values_json_cannot_carry_are_refused_with_their_line(
    tmp_path: Path, value: str, words: str
) -> None:
    text = VALID.replace("{responseModalities: [AUDIO]}", f"{{temperature: {value}}}")
    problem = problems_of(write(tmp_path, text))["(file)"]
    assert words in problem and "line 5" in problem


def test_a_date_is_read_as_the_text_it_is_written_as(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, VALID.replace("Test profile.", "2026-01-15")))
    assert policy.description == "2026-01-15"
