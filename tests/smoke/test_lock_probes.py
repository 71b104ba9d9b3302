"""The lock probes, against a stand-in told to honour, ignore or refuse each route.

A probe that reported "held" whatever the service did would be worse than none: each
route is run with the stand-in honouring it (the verdict must be NOT held, with the
answer as evidence), ignoring it and refusing it (held), and with a model that says
something else (unclear). The WebSocket client is the real one the smoke test uses.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.smoke.live_standin import Behaviour, LockStandin
from tokenvend.gemini.lock_probes import SETUP_ROUTE, Finding, lock_facts
from tools import lock_probes
from tools.lock_probes import SetupBuilder

MODEL = "models/gemini-3.8-live"
LOCKED_SETUP = {
    "model": MODEL,
    "generationConfig": {"responseModalities": ["AUDIO"]},
    "systemInstruction": lock_probes.content(lock_probes.instruction(lock_probes.LOCKED_WORD)),
    "outputAudioTranscription": {},
}
MID_SESSION = [route.name for route in lock_facts().mid_session_routes]
TIMEOUT_SECONDS = 10.0  # a bound on a broken stand-in, never waited for by a passing test


class Tokens:
    """Mints the stand-in's tokens: each locked to LOCKED_SETUP, one use each."""

    def __init__(self) -> None:
        self.minted: list[str] = []
        self._numbers = itertools.count(1)

    def setup_of(self, token: str) -> dict[str, Any] | None:
        return LOCKED_SETUP if token in self.minted else None

    def opener(self, standin: LockStandin) -> lock_probes.Opener:
        def open_session() -> tuple[ClientConnection, SetupBuilder]:
            token = f"auth_tokens/test-{next(self._numbers)}"
            self.minted.append(token)
            live = connect(f"{standin.url}?access_token={token}", open_timeout=TIMEOUT_SECONDS)
            return live, lock_probes.setup_builder(MODEL)

        return open_session


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


def standin(tokens: Tokens, **kwargs: Any) -> LockStandin:
    return LockStandin(token_setup=tokens.setup_of, **kwargs)


def probe(route: str, tokens: Tokens, behaviour: Behaviour) -> Finding:
    with standin(tokens, behaviour={route: behaviour}) as live:
        if route == SETUP_ROUTE:
            return lock_probes.probe_setup(tokens.opener(live), TIMEOUT_SECONDS).finding
        found = lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
    return found[route]


ROUTES = [SETUP_ROUTE, *MID_SESSION]


@pytest.mark.parametrize("route", ROUTES)
def test_a_route_the_service_honours_is_reported_not_held_with_the_answer(
    tokens: Tokens, route: str
) -> None:
    finding = probe(route, tokens, "honour")
    assert finding.verdict == "not_held"
    if route == "contextUpdate.tools":
        assert finding.evidence == f"model called {lock_probes.INJECTED_FUNCTION}"
    else:
        assert finding.evidence.startswith(f"model answered {lock_probes.INJECTED_WORD!r}")


@pytest.mark.parametrize("route", ROUTES)
def test_a_route_the_service_ignores_is_reported_held_with_the_locked_answer(
    tokens: Tokens, route: str
) -> None:
    finding = probe(route, tokens, "ignore")
    assert finding.verdict == "held"
    assert finding.evidence.startswith(f"model answered {lock_probes.LOCKED_WORD!r}")


@pytest.mark.parametrize("route", ROUTES)
def test_a_route_the_service_refuses_is_reported_held_saying_it_was_refused(
    tokens: Tokens, route: str
) -> None:
    finding = probe(route, tokens, "refuse")
    assert finding.verdict == "held"
    assert finding.evidence.startswith("the service refused it")
    assert "1007" in finding.evidence and f"{route} refused" in finding.evidence


def test_each_mid_session_probe_honoured_fails_only_its_own_route(tokens: Tokens) -> None:
    for honoured in MID_SESSION:
        with standin(tokens, behaviour={honoured: "honour"}) as live:
            found = lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
        assert {route: f.verdict for route, f in found.items()} == {
            route: "not_held" if route == honoured else "held" for route in MID_SESSION
        }


def test_each_probe_uses_a_session_and_a_token_of_its_own(tokens: Tokens) -> None:
    with standin(tokens) as live:
        lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
        connections = list(live.connections)
    assert len(connections) == len(MID_SESSION) == len(set(tokens.minted))
    assert [c.token for c in connections] == tokens.minted


def test_the_probes_send_the_messages_the_official_sdks_send(tokens: Tokens) -> None:
    with standin(tokens) as live:
        lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
        frames = [connection.frames for connection in live.connections]
    injected = lock_probes.content(lock_probes.instruction(lock_probes.INJECTED_WORD))
    # google-genai 3.6.1 send_context_update / @google/genai 3.3.0 sendContextUpdate:
    assert {"contextUpdate": {"systemInstruction": injected}} in frames[0]
    [tools] = [frame for frame in frames[1] if "contextUpdate" in frame]
    declarations = tools["contextUpdate"]["tools"]["tools"][0]["functionDeclarations"]
    assert declarations[0]["name"] == lock_probes.INJECTED_FUNCTION
    [model_turn] = [
        frame for frame in frames[2] if len(frame.get("clientContent", {}).get("turns", [])) == 2
    ]
    assert [turn["role"] for turn in model_turn["clientContent"]["turns"]] == ["model", "user"]
    assert [next(iter(frame)) for frame in frames[3]].count("setup") == 2


def test_a_model_that_answers_neither_word_makes_every_route_unclear(tokens: Tokens) -> None:
    with standin(tokens, answer="Hello there.") as live:
        setup = lock_probes.probe_setup(tokens.opener(live), TIMEOUT_SECONDS)
        found = lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
    assert setup.finding.verdict == "unclear"
    assert {f.verdict for f in found.values()} == {"unclear"}
    assert found["contextUpdate.systemInstruction"].evidence == (
        "before the attempt, model answered 'Hello there.'"
    )


def test_a_session_that_does_not_start_is_unclear_not_held(tokens: Tokens) -> None:
    def unknown_token() -> tuple[ClientConnection, SetupBuilder]:
        live = connect(f"{server.url}?access_token=auth_tokens/never-minted")
        return live, lock_probes.setup_builder(MODEL)

    with standin(tokens) as server:
        finding = lock_probes.run_mid_session_probes(unknown_token, TIMEOUT_SECONDS)
    assert {f.verdict for f in finding.values()} == {"unclear"}
    assert "the session did not start: 1008: invalid access token" in (
        finding["contextUpdate.tools"].evidence
    )


def test_the_report_says_each_verdict_in_the_order_of_the_facts_file(tokens: Tokens) -> None:
    with standin(tokens, behaviour={"contextUpdate.tools": "honour"}) as live:
        found = lock_probes.run_mid_session_probes(tokens.opener(live), TIMEOUT_SECONDS)
    lines = lock_probes.report("gemini-3.8-live", found)
    assert lines[0].startswith("lock probes of gemini-3.8-live (lock: all")
    assert [line.split()[0] for line in lines[1:]] == MID_SESSION
    verdicts = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert verdicts["contextUpdate.tools"] == "NOT"
    assert verdicts["contextUpdate.systemInstruction"] == "held"
