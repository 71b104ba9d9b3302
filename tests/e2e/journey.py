"""One run of everything the end-to-end tests look at.

Everything runs on 127.0.0.1: the function as a real functions-framework process, the
Gemini ``auth_tokens`` fake behind it, the Live stand-in in place of
generativelanguage.googleapis.com, and the example page on three static servers (a text
visit and a voice visit on origins the policy lists, and one on an origin it does not).
``browser.mjs`` drives Debian's Chromium through them, with a fake microphone playing a
WAV written here; then the Node.js client runs its test against the same function and
stand-in. What the browser saw, the function's log, what the stand-ins recorded and the
screenshots are left in ``tests/e2e/output/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import API_KEY
from tests.e2e.live_audio import write_speech_like_wav
from tests.e2e.live_fake import FakeLive
from tests.e2e.static_site import StaticSite
from tests.fakes.gemini import FakeGemini, status
from tests.process import FunctionProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WEB = ROOT / "examples" / "web"
NODE_CLIENT = ROOT / "examples" / "node"
CLIENT_PACKAGE = ROOT / "client-js"
OUTPUT = HERE / "output"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PROFILE = "e2e-web"
MODEL = "gemini-3.8-live"
PROMPT = "Hello from the end-to-end test"
USES = 1

POLICY = """\
description: The example page in the end-to-end test; voice, resumable, everything locked.
token:
  uses: {uses}
  expire_after_seconds: 600
  new_session_expire_after_seconds: 60
live:
  model: {model}
  config:
    responseModalities: [AUDIO]
    systemInstruction: Answer in one short sentence.
    sessionResumption: {{}}
    inputAudioTranscription: {{}}
    outputAudioTranscription: {{}}
  lock: all
access:
  allowed_origins: [{origins}]
  callers: anonymous
deploy:
  public: true
"""


@dataclass
class Journey:
    """What the browser saw on each page, and what the servers recorded meanwhile."""

    allowed: dict[str, Any]
    voice: dict[str, Any]
    unlisted: dict[str, Any]
    allowed_origin: str
    voice_origin: str
    unlisted_origin: str
    function_url: str
    function_log: list[dict[str, Any]]
    gemini: FakeGemini
    live: FakeLive
    node_client: subprocess.CompletedProcess[str]
    client_package: subprocess.CompletedProcess[str]
    minted_before_node: int
    minted_after_node: int
    voice_record: dict[str, Any]


def run_journey(policy_dir: Path) -> Journey:
    _require_prerequisites()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    microphone = write_speech_like_wav(OUTPUT / "microphone.wav")
    gemini = FakeGemini()
    live = FakeLive(token_is_valid=lambda token: token in gemini.minted, token_uses=lambda _: USES)
    text_site, voice_site, unlisted_site = StaticSite(WEB), StaticSite(WEB), StaticSite(WEB)
    with gemini, live, text_site, voice_site, unlisted_site:
        origins = f"{text_site.origin}, {voice_site.origin}"
        (policy_dir / f"{PROFILE}.yaml").write_text(
            POLICY.format(uses=USES, model=MODEL, origins=origins)
        )
        environment = {
            "TOKENVEND_PROFILE": PROFILE,
            "TOKENVEND_POLICY_DIR": str(policy_dir),
            "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
            "GEMINI_API_KEY": API_KEY,
            "TOKENVEND_API_KEY_SECRET": "",
        }
        exhausted = FakeGemini()
        exhausted.answer(status(429, "quota", {"Retry-After": "7"}))
        with (
            exhausted,
            FunctionProcess(environment, debug=False) as function,
            FunctionProcess(
                {**environment, "TOKENVEND_GEMINI_ENDPOINT": exhausted.url}, debug=False
            ) as exhausted_function,
        ):
            function.wait_until_listening()
            exhausted_function.wait_until_listening()
            page_config = {"functionUrl": f"{function.url}/", "liveBaseUrl": live.base_url}
            for site in (text_site, voice_site, unlisted_site):
                site.serve_config(page_config)
            try:
                seen = {"allowed": _drive_browser(microphone, _text_visit("allowed", text_site))}
                before_voice, first_voice_connection = len(gemini.minted), len(live.connections)
                seen["voice"] = _drive_browser(microphone, _voice_visit(voice_site))
                voice_tokens = len(gemini.minted) - before_voice
                stand_in_record = live.voice_record(first_voice_connection)
                seen["unlisted"] = _drive_browser(
                    microphone, _text_visit("unlisted", unlisted_site)
                )
                (OUTPUT / "browser.json").write_text(json.dumps(seen, indent=2))
                minted_before_node = len(gemini.minted)
                node_client = _run_node_client(f"{function.url}/", live.base_url)
                minted_after_node = len(gemini.minted)
                client_package = _run_node_tests(
                    CLIENT_PACKAGE,
                    "client-package.log",
                    TOKENVEND_FUNCTION_URL=f"{function.url}/",
                    TOKENVEND_EXHAUSTED_URL=f"{exhausted_function.url}/",
                    LIVE_BASE_URL=live.base_url,
                )
            finally:  # what the servers saw, also when a client run fails
                (OUTPUT / "function.log").write_text(function.output)
                (OUTPUT / "live-connections.json").write_text(
                    json.dumps([c.summary() for c in live.connections], indent=2)
                )
    _write_voice_record(seen["voice"], stand_in_record, voice_tokens)
    return Journey(
        allowed=seen["allowed"],
        voice=seen["voice"],
        unlisted=seen["unlisted"],
        allowed_origin=text_site.origin,
        voice_origin=voice_site.origin,
        unlisted_origin=unlisted_site.origin,
        function_url=f"{function.url}/",
        function_log=[json.loads(line) for line in function.lines if line.startswith("{")],
        gemini=gemini,
        live=live,
        node_client=node_client,
        client_package=client_package,
        minted_before_node=minted_before_node,
        minted_after_node=minted_after_node,
        voice_record=json.loads((OUTPUT / "voice-session.json").read_text()),
    )


def _write_voice_record(voice: dict[str, Any], record: dict[str, Any], tokens_minted: int) -> None:
    """voice-session.json: the stand-in's record of the voice visit, and what the page said."""
    record = {**record}
    record.update(
        played_audio_ms=voice["playedMs"],
        tokens_minted=tokens_minted,  # by the function during the voice visit
        tokens_received_by_page=voice["tokensReceived"],
        page_connections=voice["connections"],
        page_chunks_sent=voice["chunksSent"],
        page_state=voice["state"],
    )
    (OUTPUT / "voice-session.json").write_text(json.dumps(record, indent=2))


def _require_prerequisites() -> None:
    missing = [
        (Path(CHROMIUM), "install Debian's Chromium (apt-get install -y chromium)"),
        (WEB / "dist" / "app.js", "run `make e2e` (it builds the page)"),
        (HERE / "node_modules" / "playwright-core", "run `make e2e` (npm ci in tests/e2e)"),
        (NODE_CLIENT / "node_modules" / "@google" / "genai", "run `make e2e` (npm ci there)"),
        (CLIENT_PACKAGE / "node_modules" / "@google" / "genai", "run `make e2e` (npm ci there)"),
    ]
    for path, fix in missing:
        if not path.exists():
            raise RuntimeError(f"{path} not found: {fix}")


def _text_visit(name: str, site: StaticSite) -> dict[str, Any]:
    # The allowed visit ends ready after its reply; the unlisted one shows the error.
    screenshots = {"done": str(OUTPUT / f"{name}-origin.png")}
    if name == "allowed":
        screenshots["idle"] = str(OUTPUT / "page-idle.png")
    else:
        screenshots["done"] = str(OUTPUT / "page-error.png")
    return {
        "name": name,
        "kind": "text",
        "url": f"{site.origin}/",
        "prompt": PROMPT,
        "screenshots": screenshots,
        "retry": name == "unlisted",
    }


def _voice_visit(site: StaticSite) -> dict[str, Any]:
    states = ("listening", "speaking", "resumed", "stopped", "developer")
    screenshots = {state: str(OUTPUT / f"voice-{state}.png") for state in states}
    return {"name": "voice", "kind": "voice", "url": f"{site.origin}/", "screenshots": screenshots}


def _drive_browser(microphone: Path, visit: dict[str, Any]) -> dict[str, Any]:
    """One visit in a browser of its own, so what it mints is counted apart from the others."""
    plan = {"executablePath": CHROMIUM, "fakeMicrophone": str(microphone), "visits": [visit]}
    result = subprocess.run(
        ["node", str(HERE / "browser.mjs"), json.dumps(plan)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, f"browser driver failed:\n{result.stderr}"
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])[visit["name"]]
    return seen


def _run_node_client(function_url: str, live_base_url: str) -> subprocess.CompletedProcess[str]:
    """The Node.js client's own test (node --test), pointed at this run's servers."""
    return _run_node_tests(
        NODE_CLIENT,
        "node-client.log",
        TOKENVEND_FUNCTION_URL=function_url,
        LIVE_BASE_URL=live_base_url,
    )


def _run_node_tests(folder: Path, log: str, **urls: str) -> subprocess.CompletedProcess[str]:
    """``node --test`` in ``folder`` with this run's server URLs in its environment."""
    result = subprocess.run(
        ["node", "--test", "--test-reporter=spec"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
        env={**os.environ, **urls},
        check=False,
    )
    (OUTPUT / log).write_text(result.stdout + result.stderr)
    return result
