"""The body of the Gemini auth_tokens request, byte for byte (README: the request sent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest

from tokenvend.gemini.request import TokenRequestTemplate, build_token_request, encode_body
from tokenvend.jsonvalues import freeze
from tokenvend.policy.fields import in_wire_order
from tokenvend.policy.loader import load_policy
from tokenvend.policy.model import LiveConstraints, Lock, TokenRules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
TIMES = '"expireTime":"2026-01-15T12:30:00Z","newSessionExpireTime":"2026-01-15T12:01:00Z"'
SEED_SETUP = (
    '"bidiGenerateContentSetup":{"model":"models/gemini-3.8-live",'
    '"generationConfig":{"responseModalities":["AUDIO"]},'
    '"systemInstruction":{"parts":[{"text":"Always answer in English."}],"role":"user"}}'
)
SEED_MASK = (
    "model,generationConfig.responseModalities,systemInstruction.parts,systemInstruction.role"
)


def wire(body: dict[str, Any]) -> str:
    """The bytes the minter sends: compact JSON, non-ASCII kept, key order kept."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def seed_body(case_file: str) -> str:
    policy = load_policy(EXAMPLES / case_file)
    return wire(build_token_request(policy.token, policy.live, NOW))


def test_seed_case_1_unconstrained_sends_no_setup_and_no_field_mask() -> None:
    assert seed_body("case-1-unconstrained.yaml") == "{" + TIMES + ',"uses":1}'


def test_seed_case_2_lock_all_sends_setup_and_no_field_mask() -> None:
    assert seed_body("case-2-locked.yaml") == "{" + TIMES + ',"uses":3,' + SEED_SETUP + "}"


def test_seed_case_3_configured_plus_temperature_masks_configured_fields_and_temperature() -> None:
    mask = SEED_MASK + ",generationConfig.temperature"
    expected = "{" + TIMES + ',"uses":3,' + SEED_SETUP + ',"fieldMask":"' + mask + '"}'
    assert seed_body("case-3-configured-plus-temperature.yaml") == expected


def test_seed_case_4_configured_masks_only_configured_fields() -> None:
    expected = "{" + TIMES + ',"uses":3,' + SEED_SETUP + ',"fieldMask":"' + SEED_MASK + '"}'
    assert seed_body("case-4-configured.yaml") == expected


CONFIGURED = Lock("configured")


def body_for(
    config: dict[str, Any], lock: Lock = CONFIGURED, model: str = "gemini-live-x"
) -> dict[str, Any]:
    live = LiveConstraints(model=model, config=freeze(config), lock=lock)
    return build_token_request(TokenRules(0, 3600, 120), live, NOW)


def test_times_come_from_one_clock_reading_in_whole_seconds_with_z() -> None:
    body = build_token_request(TokenRules(1, 61, 59), None, NOW + timedelta(microseconds=999))
    assert body["expireTime"] == "2026-01-15T12:01:01Z"
    assert body["newSessionExpireTime"] == "2026-01-15T12:00:59Z"


def test_a_clock_reading_that_is_not_utc_is_refused() -> None:
    plus_one = datetime(2026, 1, 15, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="UTC"):
        build_token_request(TokenRules(1, 60, 60), None, plus_one)


@pytest.mark.parametrize(
    "now",
    [NOW.replace(tzinfo=None), NOW.astimezone(timezone(timedelta(hours=1)))],
    ids=["naive", "an-hour-east"],
)
def test_the_template_refuses_a_clock_reading_that_is_not_utc(now: datetime) -> None:
    template = TokenRequestTemplate(TokenRules(1, 60, 60), None)
    with pytest.raises(ValueError, match="UTC"):
        template.encode(now)


class _Greenwich(tzinfo):
    """A zone of its own at UTC's offset, as London is in winter."""

    def utcoffset(self, moment: datetime | None) -> timedelta:
        return timedelta(0)

    def dst(self, moment: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, moment: datetime | None) -> str:
        return "GMT"


def test_the_template_takes_a_reading_at_utcs_offset_in_another_zone_as_utc() -> None:
    template = TokenRequestTemplate(TokenRules(1, 72000, 60), None)
    assert template.encode(NOW.astimezone(_Greenwich())) == template.encode(NOW)


def test_uses_zero_is_sent_as_unlimited() -> None:
    assert build_token_request(TokenRules(0, 60, 60), None, NOW)["uses"] == 0


def test_speech_config_nests_in_generation_config_and_masks_its_first_level() -> None:
    speech = {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}},
        "languageCode": "de-DE",
    }
    body = body_for({"speechConfig": speech, "temperature": 0.2})
    setup = body["bidiGenerateContentSetup"]
    assert setup["generationConfig"] == {"temperature": 0.2, "speechConfig": speech}
    assert body["fieldMask"] == "model,generationConfig.temperature,generationConfig.speechConfig"


def test_tools_list_is_masked_as_one_field() -> None:
    tools = [{"googleSearch": {}}, {"functionDeclarations": [{"name": "lookup"}]}]
    body = body_for({"tools": tools})
    assert body["bidiGenerateContentSetup"]["tools"] == tools
    assert body["fieldMask"] == "model,tools"


def test_realtime_input_config_masks_each_of_its_keys() -> None:
    realtime = {
        "automaticActivityDetection": {"disabled": True},
        "activityHandling": "NO_INTERRUPTION",
    }
    body = body_for({"realtimeInputConfig": realtime})
    assert body["fieldMask"] == (
        "model,realtimeInputConfig.automaticActivityDetection,realtimeInputConfig.activityHandling"
    )


def test_empty_object_is_masked_as_the_field_itself() -> None:
    body = body_for({"inputAudioTranscription": {}, "outputAudioTranscription": {}})
    assert body["fieldMask"] == "model,inputAudioTranscription,outputAudioTranscription"


def test_content_system_instruction_without_role_is_sent_as_written() -> None:
    content = {"parts": [{"text": "One."}, {"text": "Two."}]}
    body = body_for({"systemInstruction": content})
    assert body["bidiGenerateContentSetup"]["systemInstruction"] == content
    assert body["fieldMask"] == "model,systemInstruction.parts"


def test_unicode_instruction_is_sent_as_utf8_text_not_escapes() -> None:
    body = body_for({"systemInstruction": "Antworte auf Deutsch, bitte. 日本語もOK 🎙"})
    assert '"text":"Antworte auf Deutsch, bitte. 日本語もOK 🎙"' in wire(body)


@pytest.mark.parametrize(
    ("model", "sent"),
    [
        ("gemini-3.8-live", "models/gemini-3.8-live"),
        ("models/gemini-3.8-live", "models/gemini-3.8-live"),
        ("tunedModels/my-voice-123", "tunedModels/my-voice-123"),
    ],
)
def test_model_gets_models_prefix_unless_already_a_resource_name(model: str, sent: str) -> None:
    assert body_for({}, model=model)["bidiGenerateContentSetup"]["model"] == sent


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("mediaResolution", "generationConfig.mediaResolution"),
        ("thinkingConfig", "generationConfig.thinkingConfig"),
        ("enableAffectiveDialog", "generationConfig.enableAffectiveDialog"),
        ("topK", "generationConfig.topK"),
        ("tools", "tools"),
        ("proactivity", "proactivity"),
    ],
)
def test_every_extra_lock_name_maps_to_its_wire_path(name: str, path: str) -> None:
    body = body_for({}, lock=Lock("configured", (name,)))
    assert body["fieldMask"] == f"model,{path}"


def test_extra_lock_on_an_already_configured_field_is_not_repeated() -> None:
    body = body_for({"temperature": 0.5}, lock=Lock("configured", ("temperature",)))
    assert body["fieldMask"] == "model,generationConfig.temperature"


def test_extra_lock_on_a_partly_configured_object_locks_the_whole_object() -> None:
    realtime = {"automaticActivityDetection": {"disabled": True}}
    lock = Lock("configured", ("realtimeInputConfig", "systemInstruction"))
    body = body_for({"realtimeInputConfig": realtime, "systemInstruction": "Hi."}, lock=lock)
    assert body["fieldMask"] == (
        "model,systemInstruction.parts,systemInstruction.role,"
        "realtimeInputConfig.automaticActivityDetection,realtimeInputConfig,systemInstruction"
    )


def test_lock_all_with_no_config_sends_only_the_model() -> None:
    body = body_for({}, lock=Lock("all"))
    assert body["bidiGenerateContentSetup"] == {"model": "models/gemini-live-x"}
    assert "fieldMask" not in body


def test_translation_config_is_a_generation_field_locked_under_generation_config() -> None:
    translation = {"targetLanguageCode": "de-DE", "echoTargetLanguage": False}
    body = body_for(
        in_wire_order({"translationConfig": translation, "responseModalities": ["AUDIO"]})
    )
    assert body["bidiGenerateContentSetup"]["generationConfig"] == {
        "responseModalities": ["AUDIO"],
        "translationConfig": translation,
    }
    assert body["fieldMask"] == (
        "model,generationConfig.responseModalities,generationConfig.translationConfig"
    )
    plus = body_for({"temperature": 1}, Lock("configured", ("translationConfig",)))
    assert plus["fieldMask"].endswith(",generationConfig.translationConfig")


def test_newest_setup_fields_follow_proactivity_in_the_sdks_order() -> None:
    config = {
        "labels": {"team": "voice"},
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
        "avatarConfig": {"avatarName": "Kai"},
        "historyConfig": {"initialHistoryInClientContent": True},
        "proactivity": {"proactiveVideo": True},
    }
    setup = body_for(in_wire_order(config))["bidiGenerateContentSetup"]
    assert list(setup) == [
        "model",
        "proactivity",
        "historyConfig",
        "avatarConfig",
        "safetySettings",
        "labels",
    ]
    assert body_for(in_wire_order(config))["fieldMask"] == (
        "model,proactivity.proactiveVideo,historyConfig.initialHistoryInClientContent,"
        "avatarConfig.avatarName,safetySettings,labels.team"
    )


POLICY_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted(
    (EXAMPLES.parents[1] / "policies").glob("*.yaml")
)


@pytest.mark.parametrize("path", POLICY_FILES, ids=[path.stem for path in POLICY_FILES])
def test_the_template_compiled_at_cold_start_sends_the_same_bytes_as_a_fresh_build(
    path: Path,
) -> None:
    policy = load_policy(path)
    template = TokenRequestTemplate(policy.token, policy.live)
    for now in (NOW, NOW + timedelta(days=400, seconds=7)):
        fresh = build_token_request(policy.token, policy.live, now)
        encoded = template.encode(now)
        assert encoded.payload == encode_body(fresh)
        assert (encoded.expire_time, encoded.new_session_expire_time) == (
            fresh["expireTime"],
            fresh["newSessionExpireTime"],
        )


def test_a_policy_value_that_is_not_json_is_refused_when_the_template_is_compiled() -> None:
    live = LiveConstraints(model="m", config=freeze({"temperature": float("nan")}), lock=CONFIGURED)
    with pytest.raises(ValueError, match="JSON compliant"):
        TokenRequestTemplate(TokenRules(1, 60, 60), live)
