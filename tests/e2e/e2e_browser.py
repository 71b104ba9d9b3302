"""The example page in headless Chromium, against the real function and local fakes.

Everything runs on 127.0.0.1: the function as a real functions-framework process, the
Gemini ``auth_tokens`` fake behind it, a fake Live WebSocket server standing in for
generativelanguage.googleapis.com, and the page on two static servers: one whose origin
the policy lists and one it does not. ``browser.mjs`` drives Debian's Chromium through
both and reports what it saw; the assertions are here. The screenshots, the function's
log and what the fakes recorded are left in ``tests/e2e/output/``.

Run with ``make e2e`` (it builds the page and installs the driver first).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY
from tests.e2e.live_fake import CONSTRAINED, REPLY_PREFIX, FakeLive
from tests.e2e.static_site import StaticSite
from tests.fakes.gemini import FakeGemini
from tests.process import FunctionProcess

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WEB = ROOT / "examples" / "web"
OUTPUT = HERE / "output"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PROFILE = "e2e-web"
MODEL = "gemini-2.0-flash-live-001"
PROMPT = "Hello from the end-to-end test"

POLICY = """\
description: The example page in the end-to-end test; text replies, everything locked.
token:
  uses: 1
  expire_after_seconds: 600
  new_session_expire_after_seconds: 60
live:
  model: {model}
  config:
    responseModalities: [TEXT]
    systemInstruction: Answer in one short sentence.
  lock: all
access:
  allowed_origins: [{origin}]
  callers: anonymous
deploy:
  public: true
"""


@dataclass
class Journey:
    """What the browser saw on each page, and what the servers recorded meanwhile."""

    allowed: dict[str, Any]
    unlisted: dict[str, Any]
    allowed_origin: str
    unlisted_origin: str
    function_url: str
    function_log: list[dict[str, Any]]
    gemini: FakeGemini
    live: FakeLive


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    _require_prerequisites()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    policy_dir = tmp_path_factory.mktemp("policies")
    gemini = FakeGemini()
    live = FakeLive(token_is_valid=lambda token: token in gemini.minted)
    allowed_site, unlisted_site = StaticSite(WEB), StaticSite(WEB)
    with gemini, live, allowed_site, unlisted_site:
        (policy_dir / f"{PROFILE}.yaml").write_text(
            POLICY.format(model=MODEL, origin=allowed_site.origin)
        )
        environment = {
            "TOKENVEND_PROFILE": PROFILE,
            "TOKENVEND_POLICY_DIR": str(policy_dir),
            "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
            "GEMINI_API_KEY": API_KEY,
            "TOKENVEND_API_KEY_SECRET": "",
        }
        with FunctionProcess(environment, debug=False) as function:
            function.wait_until_listening()
            page_config = {"functionUrl": f"{function.url}/", "liveBaseUrl": live.base_url}
            allowed_site.serve_config(page_config)
            unlisted_site.serve_config(page_config)
            try:
                seen = _drive_browser(
                    [
                        {"name": "allowed", "url": f"{allowed_site.origin}/", "prompt": PROMPT,
                         "screenshot": str(OUTPUT / "allowed-origin.png")},
                        {"name": "unlisted", "url": f"{unlisted_site.origin}/", "prompt": PROMPT,
                         "screenshot": str(OUTPUT / "unlisted-origin.png")},
                    ]
                )  # fmt: skip
                (OUTPUT / "browser.json").write_text(json.dumps(seen, indent=2))
            finally:  # what the servers saw, also when the browser run fails
                (OUTPUT / "function.log").write_text(function.output)
                (OUTPUT / "live-connections.json").write_text(
                    json.dumps([vars(connection) for connection in live.connections], indent=2)
                )
        yield Journey(
            allowed=seen["allowed"],
            unlisted=seen["unlisted"],
            allowed_origin=allowed_site.origin,
            unlisted_origin=unlisted_site.origin,
            function_url=f"{function.url}/",
            function_log=[json.loads(line) for line in function.lines if line.startswith("{")],
            gemini=gemini,
            live=live,
        )


def _require_prerequisites() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium)"
        )
    if not (WEB / "dist" / "app.js").exists():
        pytest.fail("examples/web/dist/app.js is missing: run `make e2e` (it builds the page)")
    if not (HERE / "node_modules" / "playwright-core").exists():
        pytest.fail("playwright-core is not installed: run `make e2e` (npm ci in tests/e2e)")


def _drive_browser(visits: list[dict[str, str]]) -> dict[str, Any]:
    plan = json.dumps({"executablePath": CHROMIUM, "visits": visits})
    result = subprocess.run(
        ["node", str(HERE / "browser.mjs"), plan],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"browser driver failed:\n{result.stderr}"
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def _requests_from(journey: Journey, origin: str) -> list[tuple[str, int, str]]:
    return [
        (entry["message"].split()[0], entry["status"], entry["reason"])
        for entry in journey.function_log
        if "status" in entry and entry.get("origin") == origin
    ]


def test_allowed_origin_gets_a_token_through_preflight_and_post(journey: Journey) -> None:
    assert _requests_from(journey, journey.allowed_origin) == [
        ("OPTIONS", 204, "preflight"),
        ("POST", 200, "minted"),
    ]
    posts = [
        response
        for response in journey.allowed["responses"]
        if response["url"] == journey.function_url and response["method"] == "POST"
    ]
    assert [response["status"] for response in posts] == [200]
    assert posts[0]["headers"]["access-control-allow-origin"] == journey.allowed_origin
    assert posts[0]["headers"]["cache-control"] == "no-store"


def test_sdk_opens_the_constrained_method_with_the_minted_token(journey: Journey) -> None:
    assert len(journey.gemini.minted) == 1
    [connection] = journey.live.connections
    assert connection.method_path == CONSTRAINED
    assert connection.query == {"access_token": [journey.gemini.minted[0]]}
    [socket] = journey.allowed["websockets"]
    assert socket["url"].startswith("ws://127.0.0.1:")
    assert CONSTRAINED in socket["url"]


def test_first_live_frame_is_the_setup_for_the_model_the_token_names(journey: Journey) -> None:
    [connection] = journey.live.connections
    assert connection.setup == {"model": f"models/{MODEL}"}
    turn = connection.frames[1]["clientContent"]
    assert turn == {"turns": [{"role": "user", "parts": [{"text": PROMPT}]}], "turnComplete": True}


def test_page_shows_the_model_reply_and_when_the_token_expires(journey: Journey) -> None:
    page = journey.allowed
    assert page["pageErrors"] == []
    assert page["state"] == "done", page["status"]
    assert page["reply"] == REPLY_PREFIX + PROMPT
    assert page["tokenVisible"]
    assert "in about 10 min" in page["tokenExpires"]
    assert page["tokenUses"] == "1"
    assert page["tokenModel"] == f"models/{MODEL}"


def test_page_on_an_unlisted_origin_gets_no_token_and_says_why(journey: Journey) -> None:
    page = journey.unlisted
    assert _requests_from(journey, journey.unlisted_origin) == [
        ("OPTIONS", 403, "origin_not_allowed")
    ]
    assert page["state"] == "error"
    assert journey.unlisted_origin in page["status"]
    assert "access.allowed_origins" in page["status"]
    assert not page["tokenVisible"]
    assert page["websockets"] == []
    assert [(failed["method"], failed["url"]) for failed in page["failedRequests"]] == [
        ("POST", journey.function_url)
    ]
    assert len(journey.gemini.minted) == 1  # only the allowed page's token
    assert len(journey.live.connections) == 1


def test_the_browser_never_sees_the_api_key(journey: Journey) -> None:
    seen = json.dumps([journey.allowed, journey.unlisted])
    assert API_KEY not in seen
    assert API_KEY not in (OUTPUT / "function.log").read_text()


def test_a_screenshot_of_the_working_page_is_saved(journey: Journey) -> None:
    screenshot = OUTPUT / "allowed-origin.png"
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.stat().st_size > 10_000
