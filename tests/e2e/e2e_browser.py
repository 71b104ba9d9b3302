"""The example page's text flow in headless Chromium, and the page on an origin the
policy does not list. The run itself (servers, browser, outputs) is in ``journey.py``.

Run with ``make e2e`` (it builds the page and installs the driver first).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import API_KEY
from tests.e2e.journey import MODEL, OUTPUT, PROMPT, Journey
from tests.e2e.live_fake import CONSTRAINED, REPLY_PREFIX, LiveConnection

pytestmark = pytest.mark.e2e


def requests_from(journey: Journey, origin: str) -> list[tuple[str, int, str]]:
    return [
        (entry["message"].split()[0], entry["status"], entry["reason"])
        for entry in journey.function_log
        if "status" in entry and entry.get("origin") == origin
    ]


def text_connection(journey: Journey) -> LiveConnection:
    """The Live connection the text visit opened, with the first token minted."""
    [connection] = [c for c in journey.live.connections if c.token == journey.gemini.minted[0]]
    return connection


def test_allowed_origin_gets_a_token_through_preflight_and_post(journey: Journey) -> None:
    assert requests_from(journey, journey.allowed_origin) == [
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
    connection = text_connection(journey)
    assert connection.method_path == CONSTRAINED
    assert connection.query == {"access_token": [journey.gemini.minted[0]]}
    [socket] = journey.allowed["websockets"]
    assert socket["url"].startswith("ws://127.0.0.1:")
    assert CONSTRAINED in socket["url"]


def test_first_live_frame_is_the_setup_the_page_asks_for_then_the_typed_turn(
    journey: Journey,
) -> None:
    connection = text_connection(journey)
    assert connection.setup == {
        "model": f"models/{MODEL}",
        "generationConfig": {"responseModalities": ["AUDIO"]},
        "inputAudioTranscription": {},
        "outputAudioTranscription": {},
        "sessionResumption": {},
    }
    turn = connection.frames[1]["clientContent"]
    assert turn == {"turns": [{"role": "user", "parts": [{"text": PROMPT}]}], "turnComplete": True}


def test_page_shows_the_typed_turn_the_spoken_reply_as_text_and_the_token(
    journey: Journey,
) -> None:
    page = journey.allowed
    assert page["pageErrors"] == []
    assert page["state"] == "ready", page["status"]
    assert page["transcript"] == [
        {"who": "you", "text": PROMPT},
        {"who": "model", "text": REPLY_PREFIX + PROMPT},
    ]
    assert page["prompt"] == ""  # the text box is cleared once the turn is sent
    assert page["playedMs"] == 500  # the reply's two 250 ms chunks, played to the end
    assert not page["problemVisible"]
    # The end user's view: token facts and counters wait behind the developer toggle.
    assert not page["developerOpen"]
    assert page["tokenShown"]
    assert "in about 10 min" in page["tokenExpires"]
    assert page["tokenUses"] == "1"
    assert page["tokenModel"] == f"models/{MODEL}"


def test_page_on_an_unlisted_origin_gets_no_token_and_says_why(journey: Journey) -> None:
    page = journey.unlisted
    # Once on Send, once more on "Try again": refused both times, before any POST.
    assert requests_from(journey, journey.unlisted_origin) == [
        ("OPTIONS", 403, "origin_not_allowed"),
        ("OPTIONS", 403, "origin_not_allowed"),
    ]
    assert page["errors"] == 2
    assert page["state"] == "error"
    assert page["status"] == "Not connected."
    assert page["problemVisible"] and page["retryVisible"]
    assert journey.unlisted_origin in page["problem"]
    assert "access.allowed_origins" in page["problem"]
    assert not page["tokenShown"]
    assert page["websockets"] == []
    assert [(failed["method"], failed["url"]) for failed in page["failedRequests"]] == [
        ("POST", journey.function_url),
        ("POST", journey.function_url),
    ]
    assert journey.minted_before_node == 1 + journey.voice_record["tokens_minted"]


def test_the_browser_never_sees_the_api_key(journey: Journey) -> None:
    seen = json.dumps([journey.allowed, journey.voice, journey.unlisted])
    assert API_KEY not in seen
    assert API_KEY not in (OUTPUT / "function.log").read_text()


def test_a_screenshot_of_each_state_of_the_text_visits_is_saved(journey: Journey) -> None:
    for name in ("page-idle.png", "allowed-origin.png", "page-error.png"):
        screenshot = OUTPUT / name
        assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert screenshot.stat().st_size > 10_000
