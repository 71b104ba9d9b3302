"""The cold-start schema check agrees with a general JSON Schema validator."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.schema_samples import config_fields, sample_field
from tokenvend.policy.loader import policy_files
from tokenvend.policy.schema import SUPPORTED_KEYWORDS, check, policy_schema
from tokenvend.policy.strict_yaml import parse_yaml

DOCUMENTS = [
    parse_yaml(path.read_text(encoding="utf-8"))
    for path in policy_files(ROOT / "policies") + policy_files(ROOT / "examples" / "policies")
]
VALIDATOR = jsonschema.Draft202012Validator(policy_schema())


def schema_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for child in value.values():
                    yield from schema_nodes(child)
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                yield from schema_nodes(value)
            elif key == "oneOf":
                for child in value:
                    yield from schema_nodes(child)


def test_schema_is_valid_json_schema_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(policy_schema())
    assert policy_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_uses_only_keywords_the_cold_start_check_supports() -> None:
    for node in schema_nodes(policy_schema()):
        assert set(node) <= SUPPORTED_KEYWORDS, set(node) - SUPPORTED_KEYWORDS


def test_every_object_refuses_unknown_keys_and_every_property_is_described() -> None:
    for node in schema_nodes(policy_schema()):
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, node.get("description")
        for name, child in node.get("properties", {}).items():
            assert "description" in child or "$ref" in child, name


def mutations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each leaf replaced by wrong values, each key dropped, one unknown key added."""
    wrong_values: list[Any] = [None, True, -5, 1.5, "", "x", [], {}, ["x"], 100000]

    def walk(node: Any, trail: list[Any]) -> Iterator[list[Any]]:
        yield trail
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, [*trail, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, [*trail, index])

    for trail in walk(document, []):
        if not trail:
            continue
        for wrong in wrong_values:
            mutated = copy.deepcopy(document)
            parent = mutated
            for step in trail[:-1]:
                parent = parent[step]
            parent[trail[-1]] = wrong
            yield f"{trail}={wrong!r}", mutated
            if isinstance(parent, dict):
                dropped = copy.deepcopy(mutated)
                target = dropped
                for step in trail[:-1]:
                    target = target[step]
                del target[trail[-1]]
                yield f"{trail} dropped", dropped
                extra = copy.deepcopy(document)
                target = extra
                for step in trail[:-1]:
                    target = target[step]
                target["unexpectedKey"] = 1
                yield f"{trail[:-1]}+unexpectedKey", extra


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_cold_start_check_and_jsonschema_agree_on_every_mutation_of_shipped_policies(
    index: int,
) -> None:
    checked = 0
    for label, document in mutations(DOCUMENTS[index]):
        ours = check(document, policy_schema())
        theirs = list(VALIDATOR.iter_errors(document))
        assert bool(ours) == bool(theirs), (label, ours, [e.message for e in theirs])
        checked += 1
    assert checked > 100


def test_cold_start_check_reports_more_than_the_first_error() -> None:
    document = copy.deepcopy(DOCUMENTS[0])
    document["token"]["uses"] = -1
    document["deploy"]["memory_mb"] = 3
    assert {path for path, _ in check(document, policy_schema())} == {
        "token.uses",
        "deploy.memory_mb",
    }


def test_a_schema_keyword_the_check_does_not_know_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="not supported"):
        check("x", {"type": "string", "format": "email"})


@pytest.mark.parametrize(
    ("path", "value", "reported_at"),
    [
        (("live", "model"), "gemini-3.8-live\n", "live.model"),
        (("access", "allowed_origins", 0), "http://localhost:5173\n", "access.allowed_origins[0]"),
    ],
)
def test_a_trailing_newline_does_not_slip_past_an_anchored_pattern(
    path: tuple[str | int, ...], value: str, reported_at: str
) -> None:
    document = copy.deepcopy(DOCUMENTS[0])
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    assert reported_at in [problem_path for problem_path, _ in check(document, policy_schema())]


def document_with(config: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(DOCUMENTS[0])
    document["live"] = {"model": "gemini-3.8-live", "config": config, "lock": "configured"}
    return document


@pytest.mark.parametrize("variant", [0, 1])
@pytest.mark.parametrize("field", config_fields())
def test_cold_start_check_and_jsonschema_agree_on_every_mutation_of_every_config_field(
    field: str, variant: int
) -> None:
    document = document_with({field: sample_field(field, variant)})
    assert check(document, policy_schema()) == []
    for label, mutated in mutations(document["live"]["config"]):
        candidate = document_with(mutated)
        ours = check(candidate, policy_schema())
        theirs = list(VALIDATOR.iter_errors(candidate))
        assert bool(ours) == bool(theirs), (label, ours, [e.message for e in theirs])


SAFETY_SETTING_WITH_METHOD = {
    "category": "HARM_CATEGORY_HARASSMENT",
    "threshold": "OFF",
    "method": "SEVERITY",
}
FUNCTION_WITH_TYPE_AND_ANY_OF = {
    "name": "f",
    "parameters": {"type": "OBJECT", "anyOf": [{"type": "STRING"}]},
}


@pytest.mark.parametrize(
    ("config", "where", "message"),
    [
        pytest.param(
            {"sessionResumption": {"transparent": True}},
            "live.config.sessionResumption.transparent",
            "the Developer API rejects sessionResumption.transparent",
            id="transparent_resumption",
        ),
        pytest.param(
            {"speechConfig": {"multiSpeakerVoiceConfig": {"speakerVoiceConfigs": []}}},
            "live.config.speechConfig.multiSpeakerVoiceConfig",
            "the Developer API rejects speechConfig.multiSpeakerVoiceConfig",
            id="multi_speaker_voices",
        ),
        pytest.param(
            {"explicitVadSignal": True},
            "live.config.explicitVadSignal",
            "the Developer API rejects explicitVadSignal",
            id="explicit_vad_signal",
        ),
        pytest.param(
            {"safetySettings": [SAFETY_SETTING_WITH_METHOD]},
            "live.config.safetySettings[0].method",
            "the Developer API rejects it",
            id="safety_method",
        ),
        pytest.param(
            {"tools": [{"retrieval": {}}]},
            "live.config.tools[0].retrieval",
            "the Developer API rejects it",
            id="retrieval_tool",
        ),
        pytest.param(
            {"generationConfig": {"temperature": 1}},
            "live.config.generationConfig",
            "write the generation fields",
            id="nested_generation_config",
        ),
        pytest.param(
            {"tools": [{"functionDeclarations": [FUNCTION_WITH_TYPE_AND_ANY_OF]}]},
            "live.config.tools[0].functionDeclarations[0].parameters",
            "type and anyOf together",
            id="gemini_schema_type_and_any_of",
        ),
    ],
)
def test_fields_the_developer_api_rejects_are_refused_saying_why(
    config: dict[str, Any], where: str, message: str
) -> None:
    found = dict(check(document_with(config), policy_schema()))
    assert message in found[where]
    assert list(VALIDATOR.iter_errors(document_with(config)))


def test_new_vocabulary_of_the_newest_sdks_is_accepted() -> None:
    config = {
        "thinkingConfig": {"thinkingLevel": "LOW"},
        "realtimeInputConfig": {
            "turnCoverage": "TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO",
            "interimTranscriptTimestampEnabled": True,
        },
        "proactivity": {"proactiveAudio": True, "proactiveVideo": True},
        "inputAudioTranscription": {"languageCodes": ["en-US", "de-DE"]},
        "speechConfig": {"voiceConfig": {"voice": "speaker-1"}},
        "tools": [{"functionDeclarations": [{"name": "get_time", "behavior": "NON_BLOCKING"}]}],
        "historyConfig": {"initialHistoryInClientContent": True},
    }
    assert check(document_with(config), policy_schema()) == []


@pytest.mark.parametrize("model", ["gemini..live", "models/../tunedModels/x", "a.b..c"])
def test_a_model_name_with_two_dots_is_refused_as_the_sdks_refuse_it(model: str) -> None:
    document = document_with({})
    document["live"]["model"] = model
    assert "live.model" in dict(check(document, policy_schema()))
    assert list(VALIDATOR.iter_errors(document))


def test_model_names_with_single_dots_are_accepted() -> None:
    document = document_with({})
    document["live"]["model"] = "tunedModels/my.voice-1.2"
    assert check(document, policy_schema()) == []
