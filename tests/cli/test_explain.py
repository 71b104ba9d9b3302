"""``python -m tokenvend explain`` and the warnings of ``validate [--strict]``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes.keys import write_policy
from tokenvend.cli import main
from tokenvend.cli.explain import explain
from tokenvend.cli.lint import policy_warnings
from tokenvend.policy.loader import load_policy
from tokenvend.policy.model import Policy

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
EXAMPLES = ROOT / "examples" / "policies"


def request_body(text: str) -> dict[str, object]:
    """The JSON body printed under 'Gemini request'."""
    block = text.split("x-goog-api-key: <elided>\n", 1)[1].split("\n\n", 1)[0]
    body: dict[str, object] = json.loads(block)
    return body


def test_explain_prints_the_exact_request_body_with_the_key_elided() -> None:
    text = explain(load_policy(EXAMPLES / "case-3-configured-plus-temperature.yaml"), NOW)
    assert request_body(text) == {
        "expireTime": "2026-01-15T12:30:00Z",
        "newSessionExpireTime": "2026-01-15T12:01:00Z",
        "uses": 3,
        "bidiGenerateContentSetup": {
            "model": "models/gemini-3.8-live",
            "generationConfig": {"responseModalities": ["AUDIO"]},
            "systemInstruction": {"parts": [{"text": "Always answer in English."}], "role": "user"},
        },
        "fieldMask": "model,generationConfig.responseModalities,systemInstruction.parts,"
        "systemInstruction.role,generationConfig.temperature",
    }
    assert "lifetime: 1800 s (30 min)" in text and "within 60 s" in text
    assert "free: topP, topK" in text and "temperature," not in text.split("free:")[1]


def freedom(text: str) -> dict[str, str]:
    """The lines under 'What the browser may still change', by their label."""
    block = text.split("What the browser may still change\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.strip().split(": ", 1) for line in block.splitlines())


def locked_policy(tmp_path: Path, config: str, plus: str) -> Path:
    return write_policy(
        tmp_path,
        "locks",
        "  callers: anonymous\n",
        live=f"live:\n  model: m1\n  config: {config}\n  lock: {{configured_plus: {plus}}}\n",
    )


def lock_warnings(policy: Policy) -> list[str]:
    return [message for path, message in policy_warnings(policy) if path.startswith("live.lock")]


def test_instruction_configured_as_text_is_only_partly_locked_until_named_in_the_lock(
    tmp_path: Path,
) -> None:
    # A string instruction puts its parts and role in the mask, not the field itself,
    # so naming it in configured_plus adds a lock: no warning, and explain agrees.
    bare = load_policy(locked_policy(tmp_path, "{systemInstruction: Hi.}", "[]"))
    assert freedom(explain(bare, NOW))["partly free"] == "systemInstruction (all but parts, role)"
    named = load_policy(locked_policy(tmp_path, "{systemInstruction: Hi.}", "[systemInstruction]"))
    text = explain(named, NOW)
    assert request_body(text)["fieldMask"] == (
        "model,systemInstruction.parts,systemInstruction.role,systemInstruction"
    )
    assert "partly free" not in freedom(text) and "systemInstruction" not in freedom(text)["free"]
    assert lock_warnings(named) == []


def test_lock_on_a_configured_generation_field_is_redundant_and_explain_shows_it_locked(
    tmp_path: Path,
) -> None:
    policy = load_policy(locked_policy(tmp_path, "{temperature: 0.5}", "[temperature, topP]"))
    assert lock_warnings(policy) == ["temperature is configured, so it is locked already"]
    lines = freedom(explain(policy, NOW))
    assert lines["locked (fieldMask)"] == (
        "model, generationConfig.temperature, generationConfig.topP"
    )
    assert not {"temperature", "topP"} & set(lines["free"].split(", "))


def test_object_configured_in_part_is_partly_free_and_locked_whole_when_named(
    tmp_path: Path,
) -> None:
    config = "{realtimeInputConfig: {activityHandling: NO_INTERRUPTION}}"
    partly = freedom(explain(load_policy(locked_policy(tmp_path, config, "[]")), NOW))
    assert partly["partly free"] == "realtimeInputConfig (all but activityHandling)"
    named = load_policy(locked_policy(tmp_path, config, "[realtimeInputConfig]"))
    assert "partly free" not in freedom(explain(named, NOW)) and lock_warnings(named) == []


def test_explain_describes_callers_origins_app_check_and_options() -> None:
    text = explain(load_policy(EXAMPLES / "firebase-members.yaml"), NOW)
    assert "browser origins: https://app.example.com" in text
    assert "Firebase Auth users of project my-firebase-project" in text
    assert "*@example.com" in text and "guest.teacher@gmail.com" in text
    assert "App Check: required" in text and "Warnings: none" in text
    assert "nothing: no fieldMask is sent" in text
    picker = explain(load_policy(EXAMPLES / "voice-picker.yaml"), NOW)
    assert "voice -> speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName" in picker
    assert '"voiceName": "Kore"' in picker and '"temperature": 0.7' in picker


def test_unconstrained_profile_says_the_browser_chooses_everything() -> None:
    text = explain(load_policy(EXAMPLES / "case-1-unconstrained.yaml"), NOW)
    assert "bidiGenerateContentSetup" not in request_body(text)
    assert "everything: no constraints are sent" in text
    assert "live: unconstrained" in text


def test_each_risky_choice_gets_its_warning(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path,
        "risky",
        "  callers: anonymous\n",
        live=(
            "live:\n  model: m1\n  config: {temperature: 0.5}\n"
            "  lock: {configured_plus: [temperature, topP]}\n"
        ),
    )
    text = path.read_text().replace("uses: 1", "uses: 0")
    text = text.replace("expire_after_seconds: 600", "expire_after_seconds: 7200")
    path.write_text(text)
    warnings = dict(policy_warnings(load_policy(path)))
    assert set(warnings) == {
        "access.callers",
        "token.uses",
        "token.expire_after_seconds",
        "access.allowed_origins",
        "live.lock.configured_plus",
        "live.model",
    }
    assert "temperature is configured" in warnings["live.lock.configured_plus"]
    assert "localhost:5173" in warnings["access.allowed_origins"]


def test_signed_in_callers_and_app_check_have_no_warnings() -> None:
    for name in ("firebase-members", "google-staff", "voice-picker"):
        assert policy_warnings(load_policy(EXAMPLES / f"{name}.yaml")) == [], name


def test_validate_shows_warnings_and_passes_strict_turns_them_into_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shipped = str(ROOT / "policies")
    assert main(["validate", shipped]) == 0
    out = capsys.readouterr().out
    assert "voice-assistant.yaml: ok, 3 warnings" in out and "warning: access.callers" in out
    assert main(["validate", "--strict", shipped]) == 1
    assert "refused (--strict)" in capsys.readouterr().err
    assert main(["validate", "--strict", str(EXAMPLES / "google-staff.yaml")]) == 0


def test_explain_command_finds_a_profile_by_name_in_the_policy_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "case-2-locked", "--policy-dir", str(EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("profile case-2-locked") and "<elided>" in out
    assert main(["explain", "no-such-profile", "--policy-dir", str(EXAMPLES)]) == 1
    assert "no policy file for profile 'no-such-profile'" in capsys.readouterr().err
