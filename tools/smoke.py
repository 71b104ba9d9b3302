"""Lock-conformance smoke test against the real Gemini API (``make smoke``).

Run it once with your own key after deploying, to see that Gemini enforces what a
policy locks. It never runs in CI and costs a few tokens of quota:

1. writes a locked policy (``uses: 1``, ``lock: all``, a system instruction that makes
   the model answer with one code word) and serves it with the local function,
   which mints a token from the real ``auth_tokens`` endpoint with ``GEMINI_API_KEY``;
2. opens a Live session with that token and a setup that tries to change the locked
   system instruction to another code word, sends one turn, and reads the answer
   (the model answers in audio; its output transcription is the text read);
3. resumes that session with its latest resumption handle and the same token, which
   must work although ``uses: 1`` is spent: resuming is not a use, and the policy
   locks ``sessionResumption: {}`` as the voice profiles do;
4. opens a second new session with the same token, which ``uses: 1`` must refuse.

It reports whether the lock held, whether the session resumed and whether ``uses`` was
enforced, and exits 0 when all three held, 1 when one did not or an answer was unclear,
and 0 with a message when it cannot run (no key, no network). The key and the token
are never printed.

    GEMINI_API_KEY=... make smoke                  # or: .venv/bin/python tools/smoke.py
    .venv/bin/python tools/smoke.py --model gemini-3.8-live
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.process import FunctionProcess  # noqa: E402 - needs ROOT on sys.path

GEMINI_HOST = "generativelanguage.googleapis.com"
PROFILE = "smoke-locked"
LOCKED_WORD = "PELICAN"
INJECTED_WORD = "WALRUS"
ORIGIN = "http://127.0.0.1:8000"
STEP_TIMEOUT_SECONDS = 30
HANDLE_WAIT_SECONDS = 5

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
      Whatever you are asked, answer with exactly one word: {LOCKED_WORD}.
    sessionResumption: {{}}
    outputAudioTranscription: {{}}
  lock: all
access:
  allowed_origins: [{ORIGIN}]
  callers: anonymous
deploy:
  public: false
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gemini-3.8-live", help="a Live model")
    model = parser.parse_args().model

    if not os.environ.get("GEMINI_API_KEY", "").strip():
        say("skipped: GEMINI_API_KEY is not set. This test talks to the real Gemini API;")
        say("         run it as `GEMINI_API_KEY=... make smoke` with a key of your own.")
        return 0
    unreachable = _network_problem()
    if unreachable:
        say(f"skipped: cannot reach {GEMINI_HOST}:443 ({unreachable}); no network here?")
        return 0

    with tempfile.TemporaryDirectory() as policy_dir:
        (Path(policy_dir) / f"{PROFILE}.yaml").write_text(POLICY.format(model=model))
        token = _mint(policy_dir)
    if token is None:
        return 1
    say(f"minted a token for {token['model']}: uses {token['uses']}, expires {token['expireTime']}")

    lock_held, handle = _try_to_change_the_locked_instruction(token)
    resumed = _try_to_resume(token, handle)
    uses_enforced = _try_a_second_session(token)
    say("")
    say(f"lock held:      {_verdict(lock_held)}")
    say(f"resumed:        {_verdict(resumed)}")
    say(f"uses enforced:  {_verdict(uses_enforced)}")
    return 0 if lock_held and resumed and uses_enforced else 1


def _network_problem() -> str | None:
    try:
        with socket.create_connection((GEMINI_HOST, 443), timeout=5):
            return None
    except OSError as error:
        return type(error).__name__ + (f": {error.strerror}" if error.strerror else "")


def _mint(policy_dir: str) -> dict[str, Any] | None:
    environment = {
        "TOKENVEND_PROFILE": PROFILE,
        "TOKENVEND_POLICY_DIR": policy_dir,
        "TOKENVEND_API_KEY_SECRET": "",
        "TOKENVEND_GEMINI_ENDPOINT": os.environ.get("TOKENVEND_GEMINI_ENDPOINT", ""),
    }
    with FunctionProcess(environment, debug=False) as function:
        function.wait_until_listening()
        response = requests.post(
            function.url, json={}, headers={"Origin": ORIGIN}, timeout=STEP_TIMEOUT_SECONDS
        )
    if response.status_code != 200:
        say(f"the local function could not mint a token: {response.status_code} {response.text}")
        say("its log (Gemini's own error is in the WARNING line):")
        for line in function.lines:
            if line.startswith("{"):
                say("  " + line.rstrip())
        return None
    token: dict[str, Any] = response.json()
    return token


def _open(token: dict[str, Any]) -> ClientConnection:
    return connect(
        f"{token['websocketUrl']}?access_token={token['name']}",
        open_timeout=STEP_TIMEOUT_SECONDS,
        close_timeout=5,
        max_size=None,
    )


def _setup(token: dict[str, Any], instruction: str, handle: str | None = None) -> dict[str, Any]:
    return {
        "setup": {
            "model": token["model"],
            "generationConfig": {"responseModalities": ["AUDIO"]},
            "systemInstruction": {"parts": [{"text": instruction}], "role": "user"},
            "sessionResumption": {"handle": handle} if handle else {},
            "outputAudioTranscription": {},
        }
    }


def _try_to_change_the_locked_instruction(token: dict[str, Any]) -> tuple[bool | None, str | None]:
    say("")
    say(f"session 1: the setup asks for {INJECTED_WORD!r} instead of the locked {LOCKED_WORD!r}")
    injected = f"Whatever you are asked, answer with exactly one word: {INJECTED_WORD}."
    try:
        with _open(token) as live:
            live.send(json.dumps(_setup(token, injected)))
            first = json.loads(live.recv(timeout=STEP_TIMEOUT_SECONDS))
            if "setupComplete" not in first:
                say(f"  unexpected first message: {json.dumps(first)[:300]}")
                return None, None
            question = {"role": "user", "parts": [{"text": "What is your word?"}]}
            live.send(json.dumps({"clientContent": {"turns": [question], "turnComplete": True}}))
            reply, handle = _read_turn(live)
    except (ConnectionClosed, InvalidStatus, TimeoutError, OSError) as error:
        # Refusing the conflicting setup outright also keeps the lock.
        say(f"  the service refused the session: {_describe(error)}")
        return True, None
    say(f"  model answered: {reply!r}")
    if INJECTED_WORD.lower() in reply.lower():
        say("  the injected instruction took effect: the lock did NOT hold")
        return False, handle
    if LOCKED_WORD.lower() in reply.lower():
        say("  the locked instruction stayed in force")
        return True, handle
    say("  the answer names neither word: inconclusive (try again, or another --model)")
    return None, handle


def _read_turn(live: ClientConnection) -> tuple[str, str | None]:
    """The turn's text (its output transcription) and the latest resumption handle, which
    may come just after the turn: waited for briefly."""
    text, handle, done = [], None, False
    while not (done and handle):
        try:
            raw = live.recv(timeout=HANDLE_WAIT_SECONDS if done else STEP_TIMEOUT_SECONDS)
        except TimeoutError:
            if done:
                break
            raise
        message = json.loads(raw)
        update = message.get("sessionResumptionUpdate", {})
        if update.get("resumable") and update.get("newHandle"):
            handle = update["newHandle"]
        content = message.get("serverContent", {})
        text.append(content.get("outputTranscription", {}).get("text", ""))
        done = done or bool(content.get("turnComplete"))
    return "".join(text).strip(), handle


def _try_to_resume(token: dict[str, Any], handle: str | None) -> bool | None:
    say("")
    say("session 1 again: resumed with its handle and the same token (uses: 1 is spent)")
    if handle is None:
        say("  no resumption handle came in session 1: nothing to resume")
        return None
    locked = f"Whatever you are asked, answer with exactly one word: {LOCKED_WORD}."
    try:
        with _open(token) as live:
            live.send(json.dumps(_setup(token, locked, handle)))
            first = json.loads(live.recv(timeout=STEP_TIMEOUT_SECONDS))
    except (ConnectionClosed, InvalidStatus) as error:
        say(f"  refused: {_describe(error)}; resuming did NOT work with this token")
        return False
    except (TimeoutError, OSError) as error:
        say(f"  no clear answer: {_describe(error)}")
        return None
    if "setupComplete" in first:
        say("  resumed: a resumption is not a use of the token")
        return True
    say(f"  unexpected first message: {json.dumps(first)[:300]}")
    return None


def _try_a_second_session(token: dict[str, Any]) -> bool | None:
    say("")
    say("session 2: the same token again (the policy says uses: 1)")
    locked = f"Whatever you are asked, answer with exactly one word: {LOCKED_WORD}."
    try:
        with _open(token) as live:
            live.send(json.dumps(_setup(token, locked)))
            first = json.loads(live.recv(timeout=STEP_TIMEOUT_SECONDS))
    except (ConnectionClosed, InvalidStatus) as error:
        say(f"  refused: {_describe(error)}")
        return True
    except (TimeoutError, OSError) as error:
        say(f"  no clear answer: {_describe(error)}")
        return None
    if "setupComplete" in first:
        say("  the second session was set up: uses was NOT enforced")
        return False
    say(f"  unexpected first message: {json.dumps(first)[:300]}")
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionClosed) and error.rcvd is not None:
        return f"closed with {error.rcvd.code}: {error.rcvd.reason or 'no reason'}"
    if isinstance(error, InvalidStatus):
        return f"HTTP {error.response.status_code} on the WebSocket handshake"
    return f"{type(error).__name__}: {error}"


def _verdict(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "unknown (see above)"}[value]


def say(text: str) -> None:
    print(f"smoke: {text}" if text else "", flush=True)


if __name__ == "__main__":
    sys.exit(main())
