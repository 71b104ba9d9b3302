"""The model catalogue: retired models and rejected fields are refused, unknown ones warned."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import AppFactory
from tests.fakes.keys import write_policy
from tokenvend.cli import main
from tokenvend.cli.explain import explain
from tokenvend.cli.lint import policy_warnings
from tokenvend.errors import PolicyError
from tokenvend.policy.catalogue import CATALOGUE_PATH, model_catalogue
from tokenvend.policy.loader import load_policy
from tokenvend.policy.schema import policy_schema

ANONYMOUS = "  callers: anonymous\n"


def live(model: str, config: str = "{responseModalities: [AUDIO]}") -> str:
    return f"live:\n  model: {model}\n  config: {config}\n  lock: configured\n"


def problems(tmp_path: Path, live_text: str, extra: str = "") -> dict[str, str]:
    path = write_policy(tmp_path, "profile", ANONYMOUS, live=live_text, extra=extra)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return dict(caught.value.problems)


def test_catalogue_names_its_sources_a_check_date_and_a_known_default() -> None:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    assert data["sources"] and data["checked_on"] == "2026-12-02"
    catalogue = model_catalogue()
    default = catalogue.lookup(catalogue.default_model)
    assert default is not None and default.status == "stable"


def test_every_model_and_rule_set_keeps_its_sources_and_the_day_they_were_read() -> None:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    for name, entry in data["models"].items():
        assert entry["sources"], name
        assert date.fromisoformat(entry["checked_on"]) <= date.fromisoformat(data["checked_on"])
    for name, rule_set in data["rule_sets"].items():
        assert rule_set["sources"], name


def test_every_retired_model_names_a_current_replacement() -> None:
    catalogue = model_catalogue()
    for entry in catalogue.models.values():
        assert entry.status in {"stable", "preview", "retired"}, entry.name
        if entry.status == "retired":
            replacement = catalogue.lookup(entry.replacement)
            assert replacement is not None and replacement.status == "stable", entry.name


def test_every_catalogue_rule_names_a_field_the_schema_knows() -> None:
    defs = policy_schema()["$defs"]
    for entry in model_catalogue().models.values():
        for rule in entry.rules:
            node = defs["liveConnectConfig"]
            for part in rule.field.split("."):
                while "$ref" in node:
                    node = defs[node["$ref"].rpartition("/")[2]]
                assert part in node.get("properties", {}), (entry.name, rule.field)
                node = node["properties"][part]


@pytest.mark.parametrize(
    "model",
    ["gemini-2.0-flash-live-001", "gemini-live-2.5-flash-preview", "models/gemini-2.0-flash-001"],
)
def test_retired_model_is_refused_naming_the_replacement(tmp_path: Path, model: str) -> None:
    found = problems(tmp_path, live(model))
    assert "use gemini-3.8-live" in found["live.model"]


def test_shut_down_model_says_when(tmp_path: Path) -> None:
    found = problems(tmp_path, live("gemini-2.0-flash-live-001"))
    assert found["live.model"] == (
        "gemini-2.0-flash-live-001 was shut down on 2025-12-09; use gemini-3.8-live"
    )


@pytest.mark.parametrize(
    ("config", "field", "advice"),
    [
        pytest.param(
            "{responseModalities: [TEXT]}",
            "responseModalities",
            "outputAudioTranscription",
            id="text_modality",
        ),
        pytest.param(
            "{enableAffectiveDialog: true}",
            "enableAffectiveDialog",
            "removed from the API",
            id="affective_dialog",
        ),
        pytest.param(
            "{proactivity: {proactiveAudio: false}}",
            "proactivity.proactiveAudio",
            "always on",
            id="proactive_audio_off",
        ),
    ],
)
@pytest.mark.parametrize("model", ["gemini-3.8-live", "gemini-3.8-live-extended-thinking"])
def test_3_8_models_refuse_what_the_migration_guide_removed(
    tmp_path: Path, model: str, config: str, field: str, advice: str
) -> None:
    message = problems(tmp_path, live(model, config))[f"live.config.{field}"]
    assert message.startswith(f"{model} rejects {field}") and advice in message


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    config = "{responseModalities: [TEXT], enableAffectiveDialog: true, temperature: 9}"
    found = problems(tmp_path, live("gemini-3.8-live", config))
    assert set(found) == {
        "live.config.responseModalities",
        "live.config.enableAffectiveDialog",
        "live.config.temperature",
    }


def test_proactive_audio_true_is_accepted_by_3_8(tmp_path: Path) -> None:
    config = "{proactivity: {proactiveAudio: true}}"
    path = write_policy(tmp_path, "profile", ANONYMOUS, live=live("gemini-3.8-live", config))
    assert load_policy(path).live is not None


def test_legacy_preview_takes_thinking_level_not_budget(tmp_path: Path) -> None:
    model = "gemini-3.1-flash-live-preview"
    ok = write_policy(
        tmp_path, "ok", ANONYMOUS, live=live(model, "{thinkingConfig: {thinkingLevel: MINIMAL}}")
    )
    assert load_policy(ok).live is not None
    found = problems(tmp_path, live(model, "{thinkingConfig: {thinkingBudget: 512}}"))
    assert "use thinkingConfig.thinkingLevel" in found["live.config.thinkingConfig.thinkingBudget"]


def test_client_option_choosing_a_retired_model_is_refused(tmp_path: Path) -> None:
    extra = (
        "client_options:\n  model:\n    field: model\n"
        "    allowed: [gemini-3.8-live, gemini-live-2.5-flash-preview]\n"
    )
    found = problems(tmp_path, live("gemini-3.8-live"), extra)
    message = found["client_options.model.allowed[1]"]
    assert "gemini-live-2.5-flash-preview was shut down on 2025-12-09" in message


def test_client_option_producing_a_rejected_value_is_refused(tmp_path: Path) -> None:
    extra = (
        "client_options:\n  output:\n    field: responseModalities\n"
        "    allowed: [[AUDIO], [TEXT]]\n"
    )
    found = problems(tmp_path, live("gemini-3.8-live", "{}"), extra)
    assert set(found) == {"client_options.output.allowed[1]"}
    assert (
        "gemini-3.8-live rejects responseModalities ['TEXT']"
        in (found["client_options.output.allowed[1]"])
    )


def test_unknown_model_is_accepted_with_a_warning_that_names_it(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "profile", ANONYMOUS, live=live("tunedModels/my-voice-7"))
    warnings = dict(policy_warnings(load_policy(path)))
    assert "tunedModels/my-voice-7 is not in the model catalogue" in warnings["live.model"]


def test_validate_strict_refuses_an_unknown_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_policy(
        tmp_path,
        "profile",
        "  callers: anonymous\n  app_check: {project_number: '1', app_ids: ['1:1:web:ab']}\n",
        live=live("gemini-9-live"),
    )
    assert main(["validate", str(path)]) == 0
    assert "gemini-9-live is not in the model catalogue" in capsys.readouterr().out
    assert main(["validate", "--strict", str(path)]) == 1


def test_explain_shows_the_model_status_and_its_defaults(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "profile", ANONYMOUS, live=live("gemini-3.8-live"))
    text = explain(load_policy(path), datetime(2026, 12, 2, tzinfo=UTC))
    assert "gemini-3.8-live: stable since 2026-09 (model catalogue checked on 2026-12-02)" in text
    assert "default realtimeInputConfig.turnCoverage: " in text


def test_explain_shows_the_status_of_every_model_an_option_may_choose(tmp_path: Path) -> None:
    extra = (
        "client_options:\n  model:\n    field: model\n"
        "    allowed: [gemini-3.8-live, gemini-3.1-flash-live-preview]\n"
    )
    path = write_policy(tmp_path, "profile", ANONYMOUS, live=live("gemini-3.8-live"), extra=extra)
    text = explain(load_policy(path), datetime(2026, 11, 26, tzinfo=UTC))
    assert "Models\n  gemini-3.8-live: stable" in text
    assert "  gemini-3.1-flash-live-preview: preview (model catalogue" in text


ROOT = Path(__file__).resolve().parents[2]
COPIED_FROM = [
    *(ROOT / "policies").glob("*.yaml"),
    *(ROOT / "examples" / "policies").glob("*.yaml"),
    ROOT / "openapi.yaml",
    *(ROOT / "bench").glob("**/*.py"),
    *(ROOT / "tests" / "fakes").glob("*.py"),
]


@pytest.mark.parametrize("path", COPIED_FROM, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_files_users_copy_from_name_no_retired_live_model(path: Path) -> None:
    # The seed's gemini-2.0-flash-001 may be named in comments: the seed examples say
    # where its name stood. Retired Live models may not be named at all.
    text = path.read_text(encoding="utf-8")
    for entry in model_catalogue().models.values():
        if entry.status == "retired" and "live" in entry.name:
            assert entry.name not in text, f"{path.name} names {entry.name}"


def test_option_values_are_checked_with_every_model_another_option_may_choose(
    tmp_path: Path,
) -> None:
    extra = (
        "client_options:\n"
        "  model: {field: model, allowed: [gemini-3.1-flash-live-preview, gemini-3.8-live]}\n"
        "  output: {field: responseModalities, allowed: [[AUDIO], [TEXT]]}\n"
    )
    found = problems(tmp_path, live("gemini-3.1-flash-live-preview", "{}"), extra)
    assert list(found) == ["client_options.output.allowed[1]"]
    assert "gemini-3.8-live rejects responseModalities" in found["client_options.output.allowed[1]"]


def test_cold_start_refuses_a_retired_model_naming_the_replacement(
    make_client: AppFactory, tmp_path: Path
) -> None:
    write_policy(tmp_path, "old", ANONYMOUS, live=live("gemini-live-2.5-flash-preview"))
    with pytest.raises(PolicyError) as caught:
        make_client("old", TOKENVEND_POLICY_DIR=str(tmp_path))
    assert (
        "live.model: gemini-live-2.5-flash-preview was shut down on 2025-12-09; use "
        "gemini-3.8-live" in str(caught.value)
    )


def test_cold_start_serves_an_unknown_model(make_client: AppFactory, tmp_path: Path) -> None:
    write_policy(tmp_path, "tuned", ANONYMOUS, live=live("tunedModels/my-voice-7"))
    client = make_client("tuned", TOKENVEND_POLICY_DIR=str(tmp_path))
    response = client.post("/", headers={"Origin": "http://localhost:5173"})
    assert response.status_code == 200
    assert response.get_json()["model"] == "tunedModels/my-voice-7"
