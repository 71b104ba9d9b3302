"""``make smoke`` as a user runs it, with the real Gemini swapped for loopback stand-ins.

tools/smoke.py mints every token through a real function process (against the fake
``auth_tokens``) and talks to the Live stand-in with the real WebSocket client, so this
is the whole command: its report, its exit status, and the verdicts it records.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY, FakeClock
from tests.fakes.gemini import FakeGemini
from tests.smoke.live_standin import Behaviour, LockStandin
from tokenvend.gemini.lock_probes import LOCK_PROBES_PATH, parse_lock_facts
from tools import smoke

pytestmark = pytest.mark.process
DAY = date(2026, 12, 2)


def run_smoke(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    behaviour: dict[str, Behaviour],
    *arguments: str,
) -> tuple[int, str, Path]:
    record = tmp_path / "lock_probes.json"
    shutil.copy(LOCK_PROBES_PATH, record)
    clock = FakeClock()
    clock.current = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    with FakeGemini() as gemini:

        def setup_of(token: str) -> dict[str, Any] | None:
            if token not in gemini.minted:
                return None
            body = gemini.requests[gemini.minted.index(token)].json
            setup: dict[str, Any] = body["bidiGenerateContentSetup"]
            return setup

        def uses_of(token: str) -> int:
            return int(gemini.requests[gemini.minted.index(token)].json["uses"])

        monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
        monkeypatch.setenv("TOKENVEND_GEMINI_ENDPOINT", gemini.url)
        with LockStandin(token_setup=setup_of, token_uses=uses_of, behaviour=behaviour) as live:
            status = smoke.main(["--live-url", live.url, *arguments], clock=clock, record_to=record)
    return status, capsys.readouterr().out, record


def test_smoke_against_a_service_that_holds_every_route_exits_0_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour: dict[str, Behaviour] = {"setup.again": "refuse"}
    status, out, record = run_smoke(tmp_path, monkeypatch, capsys, behaviour)
    assert status == 0, out
    assert "smoke: lock probes of gemini-3.8-live" in out
    for route in ("setup.systemInstruction", "contextUpdate.systemInstruction", "setup.again"):
        assert any(line.split()[1:3] == [route, "held"] for line in out.splitlines()), route
    assert "resumed with a spent token:  yes" in out and "uses enforced:               yes" in out
    probe = parse_lock_facts(json.loads(record.read_text())).probe_of("gemini-3.8-live")
    assert probe is not None and probe.date == DAY.isoformat()
    assert {f.verdict for f in probe.findings.values()} == {"held"}
    assert "the service refused it" in probe.findings["setup.again"].evidence
    assert API_KEY not in out


def test_smoke_against_a_service_that_takes_a_context_update_exits_1_saying_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour: dict[str, Behaviour] = {"contextUpdate.systemInstruction": "honour"}
    status, out, record = run_smoke(tmp_path, monkeypatch, capsys, behaviour, "--no-record")
    assert status == 1, out
    [line] = [line for line in out.splitlines() if "contextUpdate.systemInstruction" in line]
    assert "NOT HELD" in line and "model answered 'WALRUS'" in line
    assert record.read_text() == LOCK_PROBES_PATH.read_text()  # --no-record wrote nothing
    assert "recorded in" not in out


def test_smoke_without_a_key_skips_and_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    assert smoke.main([]) == 0
    assert "GEMINI_API_KEY=... make smoke" in capsys.readouterr().out
