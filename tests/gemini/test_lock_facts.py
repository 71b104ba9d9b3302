"""lock_probes.json: the facts the CLI states about the lock, and how a probe records them."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from tokenvend.gemini.lock_probes import (
    LOCK_PROBES_PATH,
    SETUP_ROUTE,
    Finding,
    lock_facts,
    parse_lock_facts,
    record_probe,
)
from tools.lock_probes import MID_SESSION_PROBES


@pytest.fixture
def facts_file(tmp_path: Path) -> Path:
    path = tmp_path / "lock_probes.json"
    shutil.copy(LOCK_PROBES_PATH, path)
    return path


def test_the_file_names_each_route_the_probes_try_and_the_setup_lock_source() -> None:
    facts = lock_facts()
    assert [route.name for route in facts.mid_session_routes] == list(MID_SESSION_PROBES)
    assert facts.setup_route.name == SETUP_ROUTE
    assert facts.setup_sources and all(route.wire for route in facts.routes)


def test_no_probe_has_run_from_this_machine_so_nothing_is_verified() -> None:
    # None has run against the real Gemini from here; the shipped file must not pretend.
    facts = lock_facts()
    assert facts.probes == {}
    assert facts.status("gemini-3.8-live", "contextUpdate.tools") == "not verified"


def test_a_recorded_probe_is_read_back_with_its_date_and_model(facts_file: Path) -> None:
    findings = {
        SETUP_ROUTE: Finding("held", "model answered 'PELICAN'"),
        "contextUpdate.systemInstruction": Finding("not_held", "model answered 'WALRUS'"),
        "clientContent.modelTurn": Finding("unclear", "model answered 'Hello.'"),
    }
    record_probe(facts_file, "models/gemini-3.8-live", date(2026, 12, 3), findings)
    facts = parse_lock_facts(json.loads(facts_file.read_text()))
    assert facts.status("gemini-3.8-live", SETUP_ROUTE) == (
        "held (probe of 2026-12-03: model answered 'PELICAN')"
    )
    assert facts.status("models/gemini-3.8-live", "contextUpdate.systemInstruction") == (
        "NOT held (probe of 2026-12-03: model answered 'WALRUS')"
    )
    assert facts.status("gemini-3.8-live", "clientContent.modelTurn").startswith(
        "not verified (the probe of 2026-12-03 was inconclusive"
    )
    assert facts.status("gemini-3.8-live", "setup.again") == (
        "not verified (the probe of 2026-12-03 did not try it)"
    )
    assert facts.status("gemini-3.8-live-extended-thinking", SETUP_ROUTE) == "not verified"
    assert facts.held("gemini-3.8-live", SETUP_ROUTE)
    assert not facts.held("gemini-3.8-live", "clientContent.modelTurn")


def test_recording_one_model_keeps_the_others_and_the_rest_of_the_file(
    facts_file: Path,
) -> None:
    before = json.loads(facts_file.read_text())
    held = {SETUP_ROUTE: Finding("held", "ok")}
    record_probe(facts_file, "gemini-3.8-live", date(2026, 12, 3), held)
    record_probe(facts_file, "gemini-3.8-live-extended-thinking", date(2026, 12, 4), held)
    record_probe(facts_file, "gemini-3.8-live", date(2026, 12, 5), held)
    after = json.loads(facts_file.read_text())
    assert {k: v for k, v in after.items() if k != "probes"} == {
        k: v for k, v in before.items() if k != "probes"
    }
    assert {model: probe["date"] for model, probe in after["probes"].items()} == {
        "gemini-3.8-live": "2026-12-05",
        "gemini-3.8-live-extended-thinking": "2026-12-04",
    }


def test_a_finding_for_an_unknown_route_is_refused_and_the_file_is_left_alone(
    facts_file: Path,
) -> None:
    before = facts_file.read_text()
    with pytest.raises(ValueError, match="unknown route or verdict"):
        record_probe(facts_file, "m", date(2026, 12, 3), {"telepathy": Finding("held", "?")})
    assert facts_file.read_text() == before
