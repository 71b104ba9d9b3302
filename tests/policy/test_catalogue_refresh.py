"""The catalogue as refreshed on 2026-12-02: what Google said is refused, what it did not
say is warned about, and a catalogue older than 90 days says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from tests.fakes.keys import write_policy
from tests.policy.test_loader import problems_of
from tokenvend.cli import main
from tokenvend.cli.lint import policy_warnings
from tokenvend.cli.validate import run_validate
from tokenvend.policy.catalogue import STALE_AFTER_DAYS, model_catalogue, parse_catalogue
from tokenvend.policy.loader import load_policy
from tokenvend.policy.model import Policy

APP_CHECK = "  callers: anonymous\n  app_check: {project_number: '1', app_ids: ['1:1:web:ab']}\n"
TRANSLATE = "gemini-3.5-live-translate-preview"
CHECKED_ON = date.fromisoformat(model_catalogue().checked_on)


def policy_file(tmp_path: Path, model: str, config: str, name: str = "profile") -> Path:
    live = f"live:\n  model: {model}\n  config: {config}\n  lock: all\n"
    return warning_free(write_policy(tmp_path, name, APP_CHECK, live=live))


def warning_free(path: Path) -> Path:
    """The test policy with a public origin, so that it warns only of what a test is about."""
    text = path.read_text(encoding="utf-8").replace("http://localhost:5173", "https://a.example")
    path.write_text(text, encoding="utf-8")
    return path


def model_warnings_of(policy: Policy) -> dict[str, str]:
    """The warnings about the model and its config (not the test policy's origins)."""
    return {path: text for path, text in policy_warnings(policy) if path.startswith("live.")}


def test_translate_model_validates_with_translation_config_and_sends_it(tmp_path: Path) -> None:
    config = (
        "{responseModalities: [AUDIO], inputAudioTranscription: {}, "
        "translationConfig: {targetLanguageCode: pl, echoTargetLanguage: true}}"
    )
    policy = load_policy(policy_file(tmp_path, TRANSLATE, config))
    assert policy.live is not None
    assert dict(policy.live.config["translationConfig"]) == {
        "targetLanguageCode": "pl",
        "echoTargetLanguage": True,
    }
    assert model_warnings_of(policy) == {}
    entry = model_catalogue().lookup(TRANSLATE)
    assert entry is not None and (entry.status, entry.since) == ("preview", "2026-06")


def test_translate_model_refuses_tools_and_instructions_as_google_says_it_takes_none(
    tmp_path: Path,
) -> None:
    config = (
        "{translationConfig: {targetLanguageCode: de-DE}, systemInstruction: Be nice., "
        "tools: [{googleSearch: {}}]}"
    )
    found = problems_of(policy_file(tmp_path, TRANSLATE, config))
    assert set(found) == {"live.config.tools", "live.config.systemInstruction"}
    assert "supports no tools" in found["live.config.tools"]
    assert "supports no instructions" in found["live.config.systemInstruction"]


def test_translate_model_without_translation_config_is_warned_about(tmp_path: Path) -> None:
    policy = load_policy(policy_file(tmp_path, TRANSLATE, "{responseModalities: [AUDIO]}"))
    warnings = model_warnings_of(policy)
    assert list(warnings) == ["live.config.translationConfig"]
    assert warnings["live.config.translationConfig"].startswith(
        f"{TRANSLATE} needs translationConfig; add translationConfig: {{targetLanguageCode"
    )


def test_translation_config_needs_its_target_language_as_the_sdks_require(
    tmp_path: Path,
) -> None:
    found = problems_of(
        policy_file(tmp_path, TRANSLATE, "{translationConfig: {echoTargetLanguage: true}}")
    )
    assert list(found) == ["live.config.translationConfig"]
    assert "targetLanguageCode" in found["live.config.translationConfig"]


@pytest.mark.parametrize("model", ["gemini-3.8-live", "gemini-3.1-flash-live-preview"])
def test_translation_config_on_a_model_google_documents_no_translation_for_is_a_warning(
    tmp_path: Path, model: str
) -> None:
    config = "{translationConfig: {targetLanguageCode: pl}}"
    warnings = model_warnings_of(load_policy(policy_file(tmp_path, model, config)))
    assert warnings["live.config.translationConfig"].startswith(
        f"{model} may not take translationConfig; Google documents translationConfig only "
        f"for {TRANSLATE}"
    )


def test_gemini_3_8_live_refuses_thinking_config_as_its_migration_notes_say(
    tmp_path: Path,
) -> None:
    found = problems_of(
        policy_file(tmp_path, "gemini-3.8-live", "{thinkingConfig: {thinkingLevel: LOW}}")
    )
    assert found["live.config.thinkingConfig"] == (
        "gemini-3.8-live rejects thinkingConfig; remove thinkingConfig: gemini-3.8-live does "
        "not support thinking_level or thinking_config"
    )


def test_extended_thinking_model_takes_thinking_config_with_a_warning_not_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = "gemini-3.8-live-extended-thinking"
    path = policy_file(tmp_path, model, "{thinkingConfig: {thinkingLevel: HIGH}}")
    warning = model_warnings_of(load_policy(path))["live.config.thinkingConfig"]
    assert warning.startswith(f"{model} may not take thinkingConfig; Google documents no thinking")
    assert "make smoke MODEL=gemini-3.8-live-extended-thinking" in warning
    clock = FakeClock()
    clock.current = datetime.combine(CHECKED_ON, datetime.min.time(), tzinfo=UTC)
    assert main(["validate", str(path)], clock=clock) == 0
    capsys.readouterr()
    assert main(["validate", "--strict", str(path)], clock=clock) == 1
    err = capsys.readouterr().err
    assert "refused (--strict), 1 warning" in err and "may not take thinkingConfig" in err


def test_extended_thinking_model_still_refuses_what_the_3_8_notes_removed(tmp_path: Path) -> None:
    path = policy_file(
        tmp_path, "gemini-3.8-live-extended-thinking", "{enableAffectiveDialog: true}"
    )
    assert "removed from the API" in problems_of(path)["live.config.enableAffectiveDialog"]


def test_legacy_preview_warns_of_its_announced_shutdown_and_names_the_replacement(
    tmp_path: Path,
) -> None:
    policy = load_policy(policy_file(tmp_path, "gemini-3.1-flash-live-preview", "{}"))
    warning = model_warnings_of(policy)["live.model"]
    assert "a shutdown on 2026-11-17 was announced, not confirmed for this model" in warning
    assert warning.endswith("sessions with this model fail; move to gemini-3.8-live")


def test_legacy_preview_refuses_what_google_says_it_does_not_support(tmp_path: Path) -> None:
    config = "{enableAffectiveDialog: false, proactivity: {proactiveAudio: true}}"
    found = problems_of(policy_file(tmp_path, "gemini-3.1-flash-live-preview", config))
    assert set(found) == {
        "live.config.enableAffectiveDialog",
        "live.config.proactivity.proactiveAudio",
    }


def test_a_shutdown_the_catalogue_was_told_of_is_named_where_an_option_offers_the_model(
    tmp_path: Path,
) -> None:
    extra = (
        "client_options:\n"
        "  model: {field: model, allowed: [gemini-3.8-live, gemini-3.1-flash-live-preview]}\n"
    )
    live = "live:\n  model: gemini-3.8-live\n  lock: all\n"
    path = write_policy(tmp_path, "options", APP_CHECK, live=live, extra=extra)
    warnings = dict(policy_warnings(load_policy(path)))
    assert "2026-11-17" in warnings["client_options.model.allowed"]


@pytest.mark.parametrize(
    ("days", "stale"),
    [(0, False), (STALE_AFTER_DAYS, False), (STALE_AFTER_DAYS + 1, True), (400, True), (-5, False)],
)
def test_validate_warns_once_the_catalogue_is_over_90_days_old_and_strict_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days: int, stale: bool
) -> None:
    path = policy_file(tmp_path, "gemini-3.8-live", "{responseModalities: [AUDIO]}")
    today = CHECKED_ON + timedelta(days=days)
    assert run_validate([path], today=today) == 0
    out = capsys.readouterr().out
    assert (f"was checked on {CHECKED_ON.isoformat()}, {days} days ago" in out) is stale
    assert run_validate([path], today=today, strict=True) == (1 if stale else 0)
    err = capsys.readouterr().err
    if stale:
        assert "refused (--strict): the model catalogue (models.json)" in err
        assert "docs/catalogue.md says how" in err
        assert "the model catalogue out of date (--strict)" in err


def test_the_cli_reads_the_day_from_its_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = policy_file(tmp_path, "gemini-3.8-live", "{}")
    clock = FakeClock()
    clock.current = datetime.combine(
        CHECKED_ON + timedelta(days=120), datetime.min.time(), tzinfo=UTC
    )
    assert main(["validate", str(path)], clock=clock) == 0
    assert "120 days ago (more than 90)" in capsys.readouterr().out


def catalogue_data(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "checked_on": "2026-12-02",
        "default_model": "m",
        "rule_sets": {"r": {"sources": ["s"], "rules": rules}},
        "models": {"m": {"status": "stable", "rule_sets": ["r"]}},
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "f", "instead": "x"},
        {"field": "f", "refuse": "any", "allow": [1], "instead": "x"},
        {"field": "f", "refuse": "any", "require": True, "instead": "x"},
    ],
    ids=["no_kind", "refuse_and_allow", "refuse_and_require"],
)
def test_a_catalogue_rule_with_no_kind_or_two_fails_loudly(rule: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs one of refuse, allow, require"):
        parse_catalogue(catalogue_data([rule]))


def test_a_misspelt_rule_set_fails_loudly() -> None:
    data = catalogue_data([])
    data["models"]["m"]["rule_sets"] = ["r", "typo"]
    with pytest.raises(KeyError):
        parse_catalogue(data)
