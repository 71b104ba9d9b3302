"""What explain and lint say about the lock: only what the probes (or Google) showed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT, FakeClock
from tests.fakes.keys import write_policy
from tokenvend.cli import main
from tokenvend.cli.explain import explain
from tokenvend.cli.lint import policy_warnings
from tokenvend.errors import PolicyError
from tokenvend.gemini.lock_probes import Finding, LockFacts, Probe, Verdict, lock_facts
from tokenvend.policy.loader import load_policy

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KIOSK = ROOT / "examples" / "policies" / "kiosk-persona.yaml"
ROUTES = [route.name for route in lock_facts().routes]
WORDS = {"held": "PELICAN", "not_held": "WALRUS", "unclear": "Hello."}


def probed(model: str, verdicts: dict[str, Verdict]) -> LockFacts:
    """The shipped facts, with one probe of ``model`` on 2026-12-01."""
    findings = {
        route: Finding(verdict, f"model answered {WORDS[verdict]!r}")
        for route, verdict in verdicts.items()
    }
    return dataclasses.replace(lock_facts(), probes={model: Probe(model, "2026-12-01", findings)})


def held_everywhere() -> dict[str, Verdict]:
    return dict.fromkeys(ROUTES, "held")


def lock_section(text: str) -> str:
    return text.split("\nWhat the lock holds", 1)[1].split("\n\n", 1)[0]


def test_explain_says_who_enforces_the_setup_lock_and_that_later_messages_are_unverified() -> None:
    text = explain(load_policy(KIOSK), NOW)
    section = lock_section(text)
    assert section.startswith(" (gemini-3.8-live never probed; verdicts from lock_probes.json)")
    assert "at setup: enforced by Gemini" in section
    for route in lock_facts().routes:
        assert f"    {route.message}: not verified\n" in section + "\n"
    assert "to know, run make smoke MODEL=gemini-3.8-live with a key of your own" in section
    assert (
        "nothing: no fieldMask is sent, so Gemini locks every field of the session's setup" in text
    )


def test_explain_states_a_probe_verdict_with_its_date_and_evidence() -> None:
    verdicts = held_everywhere() | {"contextUpdate.tools": "not_held"}
    text = explain(load_policy(KIOSK), NOW, facts=probed("gemini-3.8-live", verdicts))
    section = lock_section(text)
    assert section.startswith(" (last probe of gemini-3.8-live: 2026-12-01;")
    assert (
        "a contextUpdate with tools: NOT held (probe of 2026-12-01: model answered 'WALRUS')"
        in section
    )
    assert (
        "a contextUpdate with a new systemInstruction: held (probe of 2026-12-01: model "
        "answered 'PELICAN')" in section
    )
    assert "to know" not in section


def test_a_probe_of_another_model_verifies_nothing_for_this_one() -> None:
    facts = probed("gemini-3.8-live-extended-thinking", held_everywhere())
    section = lock_section(explain(load_policy(KIOSK), NOW, facts=facts))
    assert "held" not in section.replace("not verified", "")


def test_explain_of_a_model_the_probes_cannot_drive_says_so() -> None:
    text = explain(load_policy(ROOT / "examples" / "policies" / "live-translate.yaml"), NOW)
    assert "make smoke cannot probe gemini-3.5-live-translate-preview" in lock_section(text)


def test_explain_of_an_unconstrained_profile_claims_no_lock() -> None:
    text = explain(load_policy(ROOT / "examples" / "policies" / "case-1-unconstrained.yaml"), NOW)
    assert "What the lock holds" not in text


def kiosk_warnings(facts: LockFacts | None = None) -> list[str]:
    return [
        message
        for path, message in policy_warnings(load_policy(KIOSK), facts)
        if path == "live.instruction_must_hold"
    ]


def test_lint_says_a_kiosk_persona_relies_on_what_no_probe_has_verified() -> None:
    [warning] = kiosk_warnings()
    assert warning.startswith(
        "the profile is safe only while its systemInstruction holds; Gemini locks it at "
        "setup, but for gemini-3.8-live: "
    )
    assert warning.count(": not verified") == len(ROUTES)
    assert "Run make smoke MODEL=gemini-3.8-live" in warning


def test_lint_names_the_route_a_probe_found_not_held_with_the_evidence() -> None:
    verdicts = held_everywhere() | {"clientContent.modelTurn": "not_held"}
    [warning] = kiosk_warnings(probed("gemini-3.8-live", verdicts))
    assert (
        "a clientContent turn with role model contradicting the instruction: NOT held (probe "
        "of 2026-12-01: model answered 'WALRUS')" in warning
    )
    assert "contextUpdate" not in warning


def test_lint_is_quiet_about_the_instruction_once_every_route_was_probed_held() -> None:
    assert kiosk_warnings(probed("gemini-3.8-live", held_everywhere())) == []


def test_lint_checks_every_model_an_option_lets_the_session_use(tmp_path: Path) -> None:
    text = KIOSK.read_text().replace(
        "access:\n",
        "client_options:\n  model:\n    field: model\n"
        "    allowed: [gemini-3.8-live, gemini-3.8-live-extended-thinking]\naccess:\n",
    )
    (tmp_path / "kiosk.yaml").write_text(text)
    facts = probed("gemini-3.8-live", held_everywhere())
    warnings = [
        m
        for p, m in policy_warnings(load_policy(tmp_path / "kiosk.yaml"), facts)
        if p == "live.instruction_must_hold"
    ]
    assert len(warnings) == 1 and "for gemini-3.8-live-extended-thinking:" in warnings[0]


def test_a_policy_that_does_not_say_it_relies_on_its_instruction_gets_no_such_warning() -> None:
    policy = load_policy(ROOT / "examples" / "policies" / "firebase-members.yaml")
    assert "live.instruction_must_hold" not in dict(policy_warnings(policy))


def test_relying_on_an_instruction_that_is_not_configured_is_a_policy_error(
    tmp_path: Path,
) -> None:
    live = "live:\n  model: gemini-3.8-live\n  lock: all\n  instruction_must_hold: true\n"
    path = write_policy(tmp_path, "bare", "  callers: anonymous\n", live=live)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert dict(caught.value.problems) == {
        "live.instruction_must_hold": "needs a systemInstruction in live.config: there is "
        "no instruction to hold"
    }


def test_validate_strict_refuses_the_kiosk_example_until_a_probe_shows_the_lock_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    clock.current = NOW
    assert main(["validate", str(KIOSK)], clock=clock) == 0
    assert main(["validate", "--strict", str(KIOSK)], clock=clock) == 1
    assert "live.instruction_must_hold" in capsys.readouterr().err
