"""Odd answers from Gemini and the key servers: each ends in its documented status.

Deeply nested JSON, absurd ``Retry-After`` and ``Cache-Control`` values, bodies of
megabytes and key servers that trickle: none gives a 500, and every ``Retry-After`` the
browser gets is a small number of seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import ALLOWED_ORIGIN, AppFactory, FakeClock, LogCapture
from tests.fakes.gemini import Answer, FakeGemini, status
from tests.fakes.server import LoopbackServer
from tokenvend.callers.public_keys import (
    MAX_MAX_AGE_SECONDS,
    MIN_MAX_AGE_SECONDS,
    PublicKeys,
    max_age_seconds,
    parse_x509_map,
)
from tokenvend.errors import Unavailable

NESTED = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    "retry_after",
    ["9" * 5000, "-5", "Wed, 21 Oct 2026 07:28:00 GMT", "1e9", "99999999"],
    ids=["thousands-of-digits", "negative", "http-date", "exponent", "huge"],
)
def test_an_absurd_retry_after_from_gemini_becomes_a_bounded_one(
    make_client: AppFactory, gemini: FakeGemini, retry_after: str
) -> None:
    gemini.answer(status(429, headers={"Retry-After": retry_after}))
    response = make_client().post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize(
    "body", [NESTED, b'{"name": "auth_tokens/' + b"x" * 3_000_000 + b'"}'], ids=["nested", "3-MB"]
)
def test_a_hostile_200_from_gemini_is_a_bad_gateway(
    make_client: AppFactory, gemini: FakeGemini, body: bytes
) -> None:
    gemini.answer(Answer("status", 200, body))
    response = make_client().post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 502


def test_a_nested_error_body_from_gemini_is_logged_as_unreadable_and_a_bad_gateway(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    gemini.answer(Answer("status", 400, NESTED[:60_000]))
    response = make_client().post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 502


@pytest.mark.parametrize(
    ("cache_control", "age", "expected"),
    [
        ("max-age=" + "9" * 5000, None, MAX_MAX_AGE_SECONDS),
        ("max-age=3600", "9" * 5000, MIN_MAX_AGE_SECONDS),
        ("max-age=" + "0" * 5000 + "600", None, 600),
        ("max-age=99999999999999999999", "1", MAX_MAX_AGE_SECONDS),
    ],
)
def test_huge_cache_control_and_age_values_are_bounded(
    cache_control: str, age: str | None, expected: int
) -> None:
    assert max_age_seconds(cache_control, age) == expected


class _Trickle(BaseHTTPRequestHandler):
    """A key server that sends its (never-ending) key set a few bytes at a time."""

    def do_GET(self) -> None:
        server: TrickleServer = self.server.fake  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(server.length))
        self.end_headers()
        for _ in range(server.length // 16):
            # Paces the bytes (it synchronises nothing): each read gets a few.
            if server.released.wait(0.02):
                return
            self.wfile.write(b" " * 16)
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


class TrickleServer(LoopbackServer):
    def __init__(self, length: int) -> None:
        super().__init__(_Trickle)
        self.length = length
        self.released = threading.Event()

    def stop(self) -> None:
        self.released.set()
        super().stop()


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    # Under the key set's size cap, so it is the deadline that stops the fetch.
    with TrickleServer(length=200_000) as server:
        yield server


def test_a_trickling_key_server_cannot_hold_the_fetch_past_its_deadline(
    trickle: TrickleServer, clock: FakeClock, log_capture: LogCapture
) -> None:
    keys = PublicKeys(
        trickle.url, parse_x509_map, clock=clock, log=log_capture.log, timeout_seconds=1.0
    )
    started = time.monotonic()
    with pytest.raises(Unavailable):
        keys.key("any")
    # The whole key set would take over four minutes at this pace.
    assert time.monotonic() - started < 10
    assert "deadline" in log_capture.text


def test_a_key_set_of_megabytes_is_refused_without_reading_it_all(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    class Huge(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(64 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(1024):
                    self.wfile.write(b" " * 65536)
            except OSError:
                pass  # the client stopped reading, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    with LoopbackServer(Huge) as server:
        keys = PublicKeys(
            server.url, parse_x509_map, clock=clock, log=log_capture.log, timeout_seconds=5.0
        )
        with pytest.raises(Unavailable):
            keys.key("any")
    assert "larger than" in log_capture.text
