"""Client options: the browser picks only what the policy lists, and the pick is locked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import tokenvend.policy
import tokenvend.policy.schema
from tests.conftest import ALLOWED_ORIGIN, AppFactory
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import write_policy
from tokenvend.cli.explain import explain
from tokenvend.errors import InvalidArgument, PolicyError
from tokenvend.policy.loader import load_policy
from tokenvend.policy.options import apply_options, describe_allowed

ANONYMOUS = "  callers: anonymous\n"
LIVE = """\
live:
  model: gemini-3.8-live
  config:
    responseModalities: [AUDIO]
    systemInstruction: Be brief.
  lock: configured
"""
OPTIONS = """\
client_options:
  voice:
    field: speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName
    allowed: [Kore, Puck]
    default: Kore
  temperature:
    field: temperature
    minimum: 0.2
    maximum: 1.0
  topK:
    field: topK
    minimum: 1
    maximum: 40
    default: 20
  model:
    field: model
    allowed: [gemini-3.8-live, gemini-3.8-live-extended-thinking]
"""


@pytest.fixture
def client(make_client: AppFactory, tmp_path: Path) -> FlaskClient:
    write_policy(tmp_path, "picker", ANONYMOUS, extra=OPTIONS, live=LIVE)
    return make_client("picker", TOKENVEND_POLICY_DIR=str(tmp_path))


def post(client: FlaskClient, options: dict[str, Any]) -> TestResponse:
    return client.post(
        "/",
        data=json.dumps({"options": options}),
        content_type="application/json",
        headers={"Origin": ALLOWED_ORIGIN},
    )


def sent_setup(gemini: FakeGemini) -> dict[str, Any]:
    setup: dict[str, Any] = gemini.requests[-1].json["bidiGenerateContentSetup"]
    return setup


def test_chosen_values_enter_the_setup_and_are_locked_by_the_field_mask(
    client: FlaskClient, gemini: FakeGemini
) -> None:
    response = post(
        client, {"voice": "Puck", "temperature": 0.5, "model": "gemini-3.8-live-extended-thinking"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = gemini.requests[-1].json
    assert body["bidiGenerateContentSetup"] == {
        "model": "models/gemini-3.8-live-extended-thinking",
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "temperature": 0.5,
            "topK": 20,
            "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}},
        },
        "systemInstruction": {"parts": [{"text": "Be brief."}], "role": "user"},
    }
    assert body["fieldMask"].split(",") == [
        "model",
        "generationConfig.responseModalities",
        "generationConfig.temperature",
        "generationConfig.topK",
        "generationConfig.speechConfig",
        "systemInstruction.parts",
        "systemInstruction.role",
    ]
    assert response.get_json()["model"] == "models/gemini-3.8-live-extended-thinking"


def test_options_left_out_take_their_defaults_or_the_configured_value(
    client: FlaskClient, gemini: FakeGemini
) -> None:
    assert post(client, {"temperature": 1}).status_code == 200
    assert sent_setup(gemini)["model"] == "models/gemini-3.8-live"
    generation = sent_setup(gemini)["generationConfig"]
    assert generation["speechConfig"]["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"] == "Kore"
    assert generation["topK"] == 20 and generation["temperature"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"voice": "Zephyr"},
            "option 'voice' must be one of: Kore, Puck",
            id="value_not_in_the_list",
        ),
        pytest.param(
            {"temperature": 1.5},
            "option 'temperature' must be a number from 0.2 to 1",
            id="number_out_of_range",
        ),
        pytest.param(
            {"temperature": True},
            "option 'temperature' must be a number",
            id="boolean_is_not_a_number",
        ),
        pytest.param(
            {"temperature": "0.5"},
            "option 'temperature' must be a number",
            id="string_is_not_a_number",
        ),
        pytest.param(
            {"topK": 2.5},
            "option 'topK' must be a whole number from 1 to 40",
            id="fraction_for_an_integer_field",
        ),
        pytest.param(
            {"speed": 2},
            "unknown option 'speed'; this profile accepts: voice, temperature, topK, model",
            id="unknown_option",
        ),
        pytest.param(
            {"systemInstruction": "Be evil."},
            "unknown option 'systemInstruction'",
            id="system_instruction_is_not_an_option_here",
        ),
        pytest.param(
            {"model": "gemini-2.5-pro"},
            "option 'model' must be one of: gemini-3.8-live, gemini-3.8-live-extended-thinking",
            id="model_not_in_the_list",
        ),
        pytest.param(
            {"voice": "Puck"},
            "option 'temperature' is required; send a number from 0.2 to 1",
            id="option_without_default_missing",
        ),
        pytest.param(
            {"temperature": float("nan")},
            "option 'temperature' must be a number",
            id="nan_is_not_a_number",
        ),
        pytest.param(
            {"temperature": float("inf")},
            "option 'temperature' must be a number",
            id="infinity_is_out_of_every_range",
        ),
        pytest.param(
            {"topK": float("-inf")},
            "option 'topK' must be a whole number",
            id="minus_infinity_is_out_of_every_range",
        ),
        pytest.param(
            {"temperature": None},
            "option 'temperature' must be a number",
            id="null_is_not_a_number",
        ),
        pytest.param(
            {"temperature": [0.5]},
            "option 'temperature' must be a number",
            id="list_is_not_a_number",
        ),
        pytest.param(
            {"topK": 10**400},
            "option 'topK' must be a whole number from 1 to 40",
            id="huge_integer_is_out_of_range",
        ),
        pytest.param(
            {"topK": False}, "option 'topK' must be a whole number", id="boolean_is_not_an_integer"
        ),
        pytest.param(
            {"voice": 1},
            "option 'voice' must be one of: Kore, Puck",
            id="number_where_only_strings_are_allowed",
        ),
        pytest.param(
            {"voice": ["Kore"]},
            "option 'voice' must be one of: Kore, Puck",
            id="list_holding_an_allowed_string",
        ),
        pytest.param(
            {"voice": "kore"},
            "option 'voice' must be one of: Kore, Puck",
            id="allowed_value_in_another_case",
        ),
    ],
)
def test_disallowed_option_gets_400_naming_the_option_and_what_is_allowed(
    client: FlaskClient, gemini: FakeGemini, options: dict[str, Any], message: str
) -> None:
    if "required" not in message:
        options = {"temperature": 0.5, **options}
    response = post(client, options)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and message in error["message"]
    assert gemini.requests == []


def test_whole_number_written_as_a_float_is_sent_as_an_integer(
    client: FlaskClient, gemini: FakeGemini
) -> None:
    assert post(client, {"temperature": 0.5, "topK": 12.0}).status_code == 200
    top_k = sent_setup(gemini)["generationConfig"]["topK"]
    assert top_k == 12 and type(top_k) is int


def test_allowed_number_is_matched_as_json_and_the_policy_value_is_sent(
    make_client: AppFactory, tmp_path: Path, gemini: FakeGemini
) -> None:
    seeds = "client_options:\n  seed: {field: seed, allowed: [1, 2], default: 1}\n"
    write_policy(tmp_path, "seeds", ANONYMOUS, extra=seeds, live=LIVE)
    client = make_client("seeds", TOKENVEND_POLICY_DIR=str(tmp_path))
    for refused in (True, "2", 3, [2]):
        assert post(client, {"seed": refused}).status_code == 400, refused
    assert post(client, {"seed": 2.0}).status_code == 200
    seed = sent_setup(gemini)["generationConfig"]["seed"]
    assert seed == 2 and type(seed) is int


def test_what_a_field_accepts_is_known_at_load_time(tmp_path: Path) -> None:
    nested = (
        "  window: {field: contextWindowCompression.slidingWindow.targetTokens, minimum: 1000,\n"
        "           maximum: 8000}\n"
        "  silence:\n    field: realtimeInputConfig.automaticActivityDetection.silenceDurationMs\n"
        "    minimum: 100\n    maximum: 2000\n    default: 500.0\n"
    )
    policy = load_policy(
        write_policy(tmp_path, "picker", ANONYMOUS, extra=OPTIONS + nested, live=LIVE)
    )
    integer_only = {option.name: option.integer_only for option in policy.client_options}
    assert integer_only == {
        "voice": False,
        "temperature": False,
        "topK": True,
        "model": False,
        "window": True,
        "silence": True,
    }
    silence = policy.client_options[-1]
    assert silence.default == 500 and type(silence.default) is int


def test_requests_and_explain_read_only_the_loaded_policy_never_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = load_policy(write_policy(tmp_path, "picker", ANONYMOUS, extra=OPTIONS, live=LIVE))

    def schema_checked(*_: object) -> None:
        raise AssertionError("the schema checker ran after the policy was loaded")

    # Any later read of the schema file, or any schema check, now fails loudly.
    tokenvend.policy.schema.policy_schema.cache_clear()
    monkeypatch.setattr(tokenvend.policy.schema, "SCHEMA_PATH", tmp_path / "no-schema-here.json")
    monkeypatch.setattr(tokenvend.policy.schema._Checker, "check", schema_checked)
    assert [describe_allowed(option) for option in policy.client_options][1:3] == [
        "a number from 0.2 to 1",
        "a whole number from 1 to 40",
    ]
    live = apply_options(policy.live, policy.client_options, {"temperature": 0.3, "topK": 7})
    assert live is not None and live.config["topK"] == 7
    with pytest.raises(InvalidArgument, match="whole number"):
        apply_options(policy.live, policy.client_options, {"temperature": 0.3, "topK": 7.5})
    assert "partly free: systemInstruction" in explain(policy, datetime.now(UTC))


def test_profile_without_options_refuses_any_option(
    make_client: AppFactory, tmp_path: Path
) -> None:
    write_policy(tmp_path, "plain", ANONYMOUS)
    client = make_client("plain", TOKENVEND_POLICY_DIR=str(tmp_path))
    response = post(client, {"voice": "Kore"})
    assert response.status_code == 400
    assert "accepts no client options" in response.get_json()["error"]["message"]


def problems(tmp_path: Path, options: str, live: str = LIVE) -> dict[str, str]:
    path = write_policy(tmp_path, "picker", ANONYMOUS, extra=options, live=live)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return dict(caught.value.problems)


def option(body: str) -> str:
    return "client_options:\n  pick:\n" + "".join(f"    {line}\n" for line in body.splitlines())


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        ("field: temperature\nallowed: [0.5, 3]", "allowed[1]", "at most 2"),
        ("field: speechConfig.voice\nallowed: [Kore]", "allowed[0]", "unknown key"),
        ("field: colour\nallowed: [red]", "field", "model, or a"),
        ("field: temperature\nminimum: 0.8\nmaximum: 0.2", "minimum", "at most maximum"),
        ("field: temperature\nminimum: 0\nmaximum: 1\ndefault: 2", "default", "from 0 to 1"),
        ("field: topP\nallowed: [0.1, 0.2]\ndefault: 0.3", "default", "one of the allowed"),
        ("field: model\nminimum: 1\nmaximum: 2", "minimum", "a string"),
        ("field: systemInstruction\nallowed: [A., B.]", "field", "one of the allowed"),
        ("field: systemInstruction.parts\nallowed: [[]]", "field", "not a mapping"),
        ("field: temperature\nallowed: [0.5]\nminimum: 0\nmaximum: 1", "allowed", "unknown key"),
    ],
)
def test_option_that_could_produce_an_invalid_setup_is_a_policy_error(
    tmp_path: Path, body: str, key: str, words: str
) -> None:
    path = f"client_options.pick.{key}"  # the option is named pick
    found = problems(tmp_path, option(body))
    assert path in found, found
    assert words in found[path]


def test_option_problems_are_reported_beside_other_problems_and_only_their_own(
    tmp_path: Path,
) -> None:
    text = option("field: temperature\nallowed: [0.5, 3]")
    live = LIVE.replace("lock: configured", "lock: configured\n  colour: red")
    found = problems(tmp_path, text, live=live)
    assert set(found) == {"live.colour"}  # options wait until live itself is valid
    path = write_policy(tmp_path, "picker", ANONYMOUS, extra=text, live=LIVE)
    path.write_text(path.read_text().replace("uses: 1", "uses: -1"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    found = dict(caught.value.problems)
    assert set(found) == {"token.uses", "client_options.pick.allowed[1]"}
    assert "live.config.temperature: must be at most 2" in found["client_options.pick.allowed[1]"]


def test_option_and_configured_value_for_one_field_may_not_both_give_a_default(
    tmp_path: Path,
) -> None:
    found = problems(
        tmp_path, option("field: systemInstruction\nallowed: [Be brief.]\ndefault: Be brief.")
    )
    assert "already set in live" in found["client_options.pick.default"]


def test_two_options_for_overlapping_fields_are_refused(tmp_path: Path) -> None:
    text = OPTIONS + "  voice2:\n    field: speechConfig.voiceConfig\n    allowed: [{}]\n"
    assert "overlaps option 'voice'" in problems(tmp_path, text)["client_options.voice2.field"]


def test_options_need_live_constraints(tmp_path: Path) -> None:
    found = problems(tmp_path, OPTIONS, live="live: unconstrained\n")
    assert "unconstrained" in found["client_options"]


def test_option_name_must_be_an_identifier(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "client_options:\n  my-voice: {field: topK, minimum: 1, maximum: 2}\n"
    )
    assert "option name" in found["client_options.my-voice"]
