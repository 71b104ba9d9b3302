"""Calling Gemini's auth_tokens: the wire, the retry, the deadline, the error mapping."""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import API_KEY, LogCapture
from tests.fakes.gemini import GARBAGE, HANG, RESET, TRICKLE, FakeGemini, status
from tokenvend.errors import BadGateway, DeadlineExceeded, ResourceExhausted, Unavailable
from tokenvend.gemini.minter import GeminiTokenMinter, websocket_url

BODY = {"expireTime": "2026-01-15T12:30:00Z", "uses": 1, "text": "größer 日本"}


def minter(url: str, log: LogCapture, deadline_seconds: float = 2.0) -> GeminiTokenMinter:
    return GeminiTokenMinter(
        url,
        api_version="v1alpha",
        log=log.log,
        deadline_seconds=deadline_seconds,
        retry_pause_seconds=0.01,
    )


def test_posts_compact_utf8_json_with_the_key_header_to_v1alpha(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    minted = minter(gemini.url, log_capture).mint(API_KEY, BODY)
    (request,) = gemini.requests
    assert request.path == "/v1alpha/auth_tokens"
    assert request.headers["x-goog-api-key"] == API_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert (
        request.body
        == '{"expireTime":"2026-01-15T12:30:00Z","uses":1,"text":"größer 日本"}'.encode()
    )
    assert minted.name == gemini.minted[0]


def test_one_pooled_connection_serves_many_tokens(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    client = minter(gemini.url, log_capture)
    for _ in range(5):
        client.mint(API_KEY, BODY)
    assert gemini.connections == 1


def test_quota_error_is_429_and_passes_retry_after_on(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(429, "quota", {"Retry-After": "17"}))
    with pytest.raises(ResourceExhausted) as caught:
        minter(gemini.url, log_capture).mint(API_KEY, BODY)
    assert caught.value.response_headers() == {"Retry-After": "17"}
    assert len(gemini.requests) == 1


def test_server_error_is_retried_once_and_then_succeeds(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(503))
    assert minter(gemini.url, log_capture).mint(API_KEY, BODY).name == gemini.minted[0]
    assert len(gemini.requests) == 2


def test_two_server_errors_are_a_bad_gateway_after_exactly_two_attempts(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(500), status(500), status(500))
    with pytest.raises(BadGateway):
        minter(gemini.url, log_capture).mint(API_KEY, BODY)
    assert len(gemini.requests) == 2


def test_client_error_is_a_bad_gateway_without_retry_and_logged_for_operators(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(400, f"API key not valid: {API_KEY}"))
    with pytest.raises(BadGateway) as caught:
        minter(gemini.url, log_capture).mint(API_KEY, BODY)
    assert len(gemini.requests) == 1
    assert "API key not valid" in log_capture.text
    assert API_KEY not in log_capture.text and API_KEY not in str(caught.value)


def test_garbage_body_is_a_bad_gateway(gemini: FakeGemini, log_capture: LogCapture) -> None:
    gemini.answer(GARBAGE)
    with pytest.raises(BadGateway):
        minter(gemini.url, log_capture).mint(API_KEY, BODY)


def test_connection_reset_mid_response_is_retried_once(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(RESET)
    assert minter(gemini.url, log_capture).mint(API_KEY, BODY).name == gemini.minted[0]
    gemini.answer(RESET, RESET)
    with pytest.raises(BadGateway):
        minter(gemini.url, log_capture).mint(API_KEY, BODY)


def test_silent_upstream_is_a_deadline_exceeded_within_the_deadline(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(HANG)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        minter(gemini.url, log_capture, deadline_seconds=0.3).mint(API_KEY, BODY)
    assert time.monotonic() - started < 2.0
    assert len(gemini.requests) == 1  # a read timeout is not retried: a token may exist


def test_trickling_upstream_is_a_deadline_exceeded_within_the_deadline(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(TRICKLE)
    client = minter(gemini.url, log_capture, deadline_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        client.mint(API_KEY, BODY)
    assert time.monotonic() - started < 1.0
    # The half-read connection was dropped, so the next answer is read cleanly.
    assert client.mint(API_KEY, BODY).name == gemini.minted[-1]


def test_error_text_is_redacted_before_it_is_cut_for_the_log(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(400, "x" * 290 + API_KEY))
    with pytest.raises(BadGateway):
        minter(gemini.url, log_capture).mint(API_KEY, BODY)
    assert API_KEY[:8] not in log_capture.text


def test_odd_retry_after_is_replaced_by_the_default(
    gemini: FakeGemini, log_capture: LogCapture
) -> None:
    gemini.answer(status(429, "quota", {"Retry-After": "²"}))
    with pytest.raises(ResourceExhausted) as caught:
        minter(gemini.url, log_capture).mint(API_KEY, BODY)
    assert caught.value.response_headers() == {"Retry-After": "30"}


def test_nan_is_never_sent_as_json(gemini: FakeGemini, log_capture: LogCapture) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        minter(gemini.url, log_capture).mint(API_KEY, {"temperature": float("nan")})
    assert gemini.requests == []


def test_unreachable_upstream_is_unavailable_after_one_retry(log_capture: LogCapture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(Unavailable) as caught:
        minter(f"http://127.0.0.1:{closed_port}", log_capture).mint(API_KEY, BODY)
    assert caught.value.response_headers()["Retry-After"].isdigit()


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("https://generativelanguage.googleapis.com", "wss://generativelanguage.googleapis.com"),
        ("http://127.0.0.1:8081/", "ws://127.0.0.1:8081"),
    ],
)
@pytest.mark.parametrize("version", ["v1alpha", "v1beta"])
def test_websocket_url_follows_the_endpoint_and_version(
    endpoint: str, url: str, version: str
) -> None:
    assert websocket_url(endpoint, version) == (
        f"{url}/ws/google.ai.generativelanguage.{version}.GenerativeService"
        ".BidiGenerateContentConstrained"
    )


def test_v1beta_minter_posts_to_v1beta(gemini: FakeGemini, log_capture: LogCapture) -> None:
    minter_beta = GeminiTokenMinter(
        gemini.url, api_version="v1beta", log=log_capture.log, deadline_seconds=2.0
    )
    minter_beta.mint(API_KEY, BODY)
    assert [request.path for request in gemini.requests] == ["/v1beta/auth_tokens"]
