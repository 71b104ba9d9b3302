"""Lock-conformance smoke test against the real Gemini API (``make smoke``).

Run it with your own key after deploying, to see what Gemini enforces of a locked
policy. It never runs in CI and costs a few turns of quota:

1. serves a locked policy (``uses: 1``, ``lock: all``, a system instruction that makes
   the model answer with one code word) with the local function, which mints tokens
   from the real ``auth_tokens`` endpoint with ``GEMINI_API_KEY``, one per session;
2. the setup probe: a session whose own setup asks for another code word;
3. resumes that session with its latest resumption handle and the same token, which
   must work although ``uses: 1`` is spent (resuming is not a use), then opens a second
   new session with that token, which ``uses: 1`` must refuse;
4. the mid-session probes (``tools/lock_probes.py``), each in a session of its own:
   a ``contextUpdate`` with a new system instruction, one with tools, a ``clientContent``
   turn with role ``model`` contradicting the instruction, a second ``setup``.

It prints a verdict per route with the evidence (what the model answered), records the
lock verdicts, with the date and the model, in ``tokenvend/gemini/lock_probes.json``
(which ``explain`` and ``validate`` read; commit it), and exits 0 when everything held,
1 when something did not, 2 when nothing failed but an answer was inconclusive, and 0
with a message when it cannot run (no key, no network). The key and the tokens are
never printed.

    GEMINI_API_KEY=... make smoke                  # or: .venv/bin/python tools/smoke.py
    .venv/bin/python tools/smoke.py --model gemini-3.8-live-extended-thinking --no-record
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# These need ROOT on sys.path.
from tests.process import FunctionProcess  # noqa: E402
from tokenvend.clock import Clock, SystemClock  # noqa: E402
from tokenvend.errors import PolicyError  # noqa: E402
from tokenvend.gemini.lock_probes import (  # noqa: E402
    LOCK_PROBES_PATH,
    SETUP_ROUTE,
    Finding,
    record_probe,
)
from tokenvend.policy.loader import load_policy  # noqa: E402
from tools import lock_probes  # noqa: E402
from tools.lock_probes import SetupBuilder, instruction  # noqa: E402

DEFAULT_ENDPOINT = "https://generativelanguage.googleapis.com"
PROFILE = "smoke-locked"
ORIGIN = "http://127.0.0.1:8000"
STEP_TIMEOUT_SECONDS = 30

POLICY = f"""\
description: tokenvend smoke test; everything locked, one use.
token:
  uses: 1
  expire_after_seconds: 300
  new_session_expire_after_seconds: 120
live:
  model: {{model}}
  config:
    responseModalities: [AUDIO]
    systemInstruction: >-
      {instruction(lock_probes.LOCKED_WORD)}
    sessionResumption: {{{{}}}}
    outputAudioTranscription: {{{{}}}}
  lock: all
access:
  allowed_origins: [{ORIGIN}]
  callers: anonymous
deploy:
  public: false
"""


class MintFailed(Exception):
    """The local function could not mint a token; what it logged was printed."""


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    record_to: Path = LOCK_PROBES_PATH,
) -> int:
    """Runs every probe; the exit status says whether everything held (see the docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", default="gemini-3.8-live", help="a Live model")
    parser.add_argument(
        "--no-record", action="store_true", help=f"do not write the verdicts to {record_to.name}"
    )
    parser.add_argument(
        "--live-url",
        help="the Live WebSocket to connect to instead of each token's websocketUrl "
        "(a local stand-in)",
    )
    arguments = parser.parse_args(argv)
    if not os.environ.get("GEMINI_API_KEY", "").strip():
        say("skipped: GEMINI_API_KEY is not set. This test talks to the real Gemini API;")
        say("         run it as `GEMINI_API_KEY=... make smoke` with a key of your own.")
        return 0
    endpoint = os.environ.get("TOKENVEND_GEMINI_ENDPOINT", "").strip() or DEFAULT_ENDPOINT
    unreachable = _network_problem(endpoint)
    if unreachable:
        say(f"skipped: cannot reach {endpoint} ({unreachable}); no network here?")
        return 0
    with tempfile.TemporaryDirectory() as policy_dir:
        policy_path = Path(policy_dir) / f"{PROFILE}.yaml"
        policy_path.write_text(POLICY.format(model=arguments.model))
        try:
            load_policy(policy_path)
        except PolicyError as error:
            say(f"cannot probe {arguments.model} with a locked instruction:")
            say(f"  {'; '.join(message for _, message in error.problems)}")
            return 1
        try:
            results = _run(policy_dir, endpoint, arguments.live_url)
        except MintFailed:
            return 1
    model, setup_finding, resumed, uses_enforced, findings = results
    say("")
    for line in lock_probes.report(model, {SETUP_ROUTE: setup_finding, **findings}):
        say(line)
    say(f"resumed with a spent token:  {_verdict(resumed)}")
    say(f"uses enforced:               {_verdict(uses_enforced)}")
    if not arguments.no_record:
        day = (clock or SystemClock()).now().date()
        record_probe(record_to, model, day, {SETUP_ROUTE: setup_finding, **findings})
        say(f"recorded in {_shown(record_to)} for {model} on {day}: commit it, so that")
        say("explain and validate say what this probe found")
    verdicts = [f.verdict for f in (setup_finding, *findings.values())]
    if "not_held" in verdicts or False in (resumed, uses_enforced):
        return 1
    return 2 if "unclear" in verdicts or None in (resumed, uses_enforced) else 0


def _run(
    policy_dir: str, endpoint: str, live_url: str | None
) -> tuple[str, Finding, bool | None, bool | None, dict[str, Finding]]:
    environment = {
        "TOKENVEND_PROFILE": PROFILE,
        "TOKENVEND_POLICY_DIR": policy_dir,
        "TOKENVEND_API_KEY_SECRET": "",
        "TOKENVEND_GEMINI_ENDPOINT": endpoint,
    }
    with FunctionProcess(environment, debug=False) as function:
        function.wait_until_listening()

        def mint() -> dict[str, Any]:
            return _mint(function)

        first = mint()
        model = first["model"].removeprefix("models/")
        say(f"minted a token for {model}: uses {first['uses']}, expires {first['expireTime']}")

        def fresh_session() -> tuple[ClientConnection, SetupBuilder]:
            token = mint()
            return _open(token, live_url), lock_probes.setup_builder(token["model"])

        def first_session() -> tuple[ClientConnection, SetupBuilder]:
            return _open(first, live_url), lock_probes.setup_builder(first["model"])

        say("")
        say("session 1: its setup asks for another word than the locked one")
        setup = lock_probes.probe_setup(first_session, timeout_seconds=STEP_TIMEOUT_SECONDS)
        say(f"  {setup.finding.verdict}: {setup.finding.evidence}")
        resumed = _try_to_resume(first, setup.handle, live_url)
        uses_enforced = _try_a_second_session(first, live_url)
        say("")
        say("sessions 3 to 6: one per mid-session route, each with a fresh token")
        findings = lock_probes.run_mid_session_probes(
            fresh_session, timeout_seconds=STEP_TIMEOUT_SECONDS
        )
    return model, setup.finding, resumed, uses_enforced, findings


def _network_problem(endpoint: str) -> str | None:
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=5):
            return None
    except OSError as error:
        return type(error).__name__ + (f": {error.strerror}" if error.strerror else "")


def _mint(function: FunctionProcess) -> dict[str, Any]:
    response = requests.post(
        function.url, json={}, headers={"Origin": ORIGIN}, timeout=STEP_TIMEOUT_SECONDS
    )
    if response.status_code != 200:
        say(f"the local function could not mint a token: {response.status_code} {response.text}")
        say("its log (Gemini's own error is in the WARNING line):")
        for line in function.lines:
            if line.startswith("{"):
                say("  " + line.rstrip())
        raise MintFailed
    token: dict[str, Any] = response.json()
    return token


def _open(token: dict[str, Any], live_url: str | None) -> ClientConnection:
    url = live_url or token["websocketUrl"]
    return connect(
        f"{url}?access_token={token['name']}",
        open_timeout=STEP_TIMEOUT_SECONDS,
        close_timeout=5,
        max_size=None,
    )


def _try_to_resume(token: dict[str, Any], handle: str | None, live_url: str | None) -> bool | None:
    say("")
    say("session 1 again: resumed with its handle and the same token (uses: 1 is spent)")
    if handle is None:
        say("  no resumption handle came in session 1: nothing to resume")
        return None
    first = _first_answer(token, live_url, handle)
    if first is None:
        say("  no clear answer")
        return None
    if "setupComplete" in first:
        say("  resumed: a resumption is not a use of the token")
        return True
    say(f"  refused: {first['refused']}; resuming did NOT work with this token")
    return False


def _try_a_second_session(token: dict[str, Any], live_url: str | None) -> bool | None:
    say("")
    say("session 2: the same token again (the policy says uses: 1)")
    first = _first_answer(token, live_url)
    if first is None:
        say("  no clear answer")
        return None
    if "setupComplete" in first:
        say("  the second session was set up: uses was NOT enforced")
        return False
    say(f"  refused: {first['refused']}")
    return True


def _first_answer(
    token: dict[str, Any], live_url: str | None, handle: str | None = None
) -> dict[str, Any] | None:
    """The first message after a setup; ``{"refused": why}`` when the service said no."""
    locked = instruction(lock_probes.LOCKED_WORD)
    try:
        with _open(token, live_url) as live:
            live.send(json.dumps(lock_probes.setup_builder(token["model"], handle)(locked)))
            first: dict[str, Any] = json.loads(live.recv(timeout=STEP_TIMEOUT_SECONDS))
    except ConnectionClosed as error:
        return {"refused": "closed with " + lock_probes.describe_close(error)}
    except InvalidStatus as error:
        return {"refused": f"HTTP {error.response.status_code} on the WebSocket handshake"}
    except (TimeoutError, OSError) as error:
        say(f"  {type(error).__name__}: {error}")
        return None
    if "setupComplete" in first:
        return first
    say(f"  unexpected first message: {json.dumps(first)[:300]}")
    return None


def _verdict(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "unknown (see above)"}[value]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def say(text: str) -> None:
    print(f"smoke: {text}" if text else "", flush=True)


if __name__ == "__main__":
    sys.exit(main())
