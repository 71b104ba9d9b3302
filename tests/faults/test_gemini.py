"""Fault injection, Gemini misbehaving: every failure ends in its documented status, in
bounded time, quietly.

Each case runs the real function (built by functions-framework) against a loopback fake
that misbehaves on purpose; the concurrent case serves it with a real threaded HTTP
server. Every case also scans stdout and stderr for the API key and the minted token
names, which must never appear.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ALLOWED_ORIGIN, API_KEY, AppFactory, log_lines
from tests.fakes.gemini import HANG, RESET, TOKEN, FakeGemini, status
from tests.faults import injection as faults
from tests.faults.injection import (
    SLACK_SECONDS,
    Serve,
    assert_nothing_leaked,
    post_concurrently,
    servers,
)

DEADLINE_SECONDS = 1.0  # TOKENVEND_GEMINI_TIMEOUT_SECONDS in these tests


@pytest.fixture
def serve() -> Iterator[Serve]:
    with servers() as serve:
        yield serve


@pytest.fixture
def black_hole() -> Iterator[str]:
    with faults.black_hole() as url:
        yield url


def post(client: FlaskClient) -> tuple[int, Any, float]:
    started = time.monotonic()
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    return response.status_code, response.get_json(), time.monotonic() - started


def ended_within_the_deadline(seconds: float) -> bool:
    """Waited for the deadline (a 504 is no early guess), and ended soon after it."""
    return DEADLINE_SECONDS * 0.95 <= seconds < DEADLINE_SECONDS + SLACK_SECONDS


def test_upstream_flapping_between_5xx_and_success_retries_once_per_request(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE_SECONDS))
    answers_per_request = [
        (status(503), TOKEN),  # one failure, then the retry succeeds
        (status(500), status(502)),  # two in a row: the retry is spent
        (TOKEN,),
        (status(503), status(503)),
        (TOKEN,),
    ]
    gemini.answer(*(answer for answers in answers_per_request for answer in answers))
    results = [post(client) for _ in range(5)]
    assert [code for code, _, _ in results] == [200, 502, 200, 502, 200]
    assert len(gemini.requests) == 8
    for code, body, _ in results:
        if code == 502:
            assert body == {
                "error": {
                    "code": 502,
                    "status": "BAD_GATEWAY",
                    "message": "Gemini could not create a token",
                    # upstream_502 and upstream_503 in the log; one public code in the body.
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "UPSTREAM_ERROR",
                            "domain": "tokenvend",
                        }
                    ],
                }
            }
    output = capfd.readouterr()
    reasons = [entry["reason"] for entry in log_lines(output.out) if "status" in entry]
    assert reasons == ["minted", "upstream_502", "minted", "upstream_503", "minted"]
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_connection_reset_mid_response_is_retried_once_then_a_bad_gateway(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE_SECONDS))
    gemini.answer(RESET)
    assert post(client)[0] == 200
    gemini.answer(RESET, RESET)
    code, body, _ = post(client)
    assert code == 502 and body["error"]["status"] == "BAD_GATEWAY"
    assert post(client)[0] == 200  # the pool dropped the broken connections
    assert len(gemini.requests) == 5
    output = capfd.readouterr()
    assert [e["reason"] for e in log_lines(output.out) if "status" in e] == [
        "minted",
        "upstream_broken",
        "minted",
    ]
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_upstream_that_never_answers_is_a_504_within_the_deadline_and_not_retried(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE_SECONDS))
    gemini.answer(HANG)
    code, body, seconds = post(client)
    assert code == 504
    assert body["error"] == {
        "code": 504,
        "status": "DEADLINE_EXCEEDED",
        "message": "Gemini did not answer in time",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "UPSTREAM_TIMEOUT",
                "domain": "tokenvend",
            }
        ],
    }
    assert ended_within_the_deadline(seconds)
    assert len(gemini.requests) == 1  # a read timeout is not retried: it may have minted
    assert post(client)[0] == 200  # the next request does not inherit the hung connection
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_concurrent_requests_to_a_silent_upstream_all_end_in_a_504_within_the_deadline(
    make_client: AppFactory, serve: Serve, black_hole: str, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(
        TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE_SECONDS), TOKENVEND_GEMINI_ENDPOINT=black_hole
    )
    results = post_concurrently(serve(client.application), 8)
    assert [code for code, _ in results] == [504] * 8
    assert all(ended_within_the_deadline(seconds) for _, seconds in results)
    output = capfd.readouterr()
    entries = [e for e in log_lines(output.out) if "status" in e]
    assert {e["reason"] for e in entries} == {"upstream_timeout"} and len(entries) == 8
    assert_nothing_leaked(output.out + output.err, API_KEY)
