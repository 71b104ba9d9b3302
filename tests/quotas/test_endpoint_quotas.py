"""Quotas through the function as functions-framework serves it, on both Firestores."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import ALLOWED_ORIGIN, AppFactory, FakeClock, log_lines
from tests.fakes.gemini import GARBAGE, TRICKLE, Answer, FakeGemini, status
from tests.quotas.conftest import Backend, serve, write_quota_policy
from tests.quotas.fake_firestore import HANG, FakeFirestore

PER_CALLER_3 = "  per_caller: {tokens: 3, per_seconds: 2592000}\n"


def client_for(
    make_client: AppFactory,
    tmp_path: Path,
    backend_environment: dict[str, str],
    quotas: str,
    **environment: str,
) -> FlaskClient:
    write_quota_policy(tmp_path, "kiosk", quotas)
    return make_client(
        "kiosk", TOKENVEND_POLICY_DIR=str(tmp_path), **backend_environment, **environment
    )


def post(client: FlaskClient, forwarded_for: str | None = None, **kwargs: object) -> TestResponse:
    headers = {"Origin": ALLOWED_ORIGIN}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post("/", headers=headers, **kwargs)


def test_caller_over_its_limit_gets_429_the_page_can_read_and_costs_no_gemini_call(
    make_client: AppFactory,
    tmp_path: Path,
    backend: Backend,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = client_for(make_client, tmp_path, backend.environment(), PER_CALLER_3)
    assert [post(client, "203.0.113.7").status_code for _ in range(3)] == [200, 200, 200]
    refused = post(client, "203.0.113.7")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert refused.get_json()["error"]["code"] == 429
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 2592000
    assert gemini.request_count == 3
    lines = log_lines(capsys.readouterr().out)
    assert lines[-1]["reason"] == "quota_exhausted_caller"
    assert lines[-1]["status"] == 429


def test_windows_roll_over_at_multiples_of_per_seconds_and_retry_after_is_exact(
    backend: Backend, tmp_path: Path, gemini: FakeGemini, clock: FakeClock
) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_caller: {tokens: 1, per_seconds: 60}\n")
    settings = backend.settings(
        profile="kiosk", policy_dir=tmp_path, gemini_endpoint=gemini.url, gemini_api_key="k"
    )
    client = serve(settings, clock)
    clock.advance(15)  # 12:00:15 in the window [12:00:00, 12:01:00)
    assert post(client, "203.0.113.7").status_code == 200
    clock.advance(30)
    refused = post(client, "203.0.113.7")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "15"
    clock.advance(15)  # 12:01:00: a new window
    assert post(client, "203.0.113.7").status_code == 200
    assert gemini.request_count == 2


def test_spoofed_forwarded_for_entries_do_not_buy_a_fresh_quota(
    make_client: AppFactory, tmp_path: Path, backend: Backend, gemini: FakeGemini
) -> None:
    client = client_for(make_client, tmp_path, backend.environment(), PER_CALLER_3)
    statuses = [post(client, f"10.9.9.{n}, 203.0.113.7").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert post(client, "203.0.113.8").status_code == 200  # a different client


def test_an_ipv6_client_counts_by_its_64_block(
    make_client: AppFactory, tmp_path: Path, backend: Backend, gemini: FakeGemini
) -> None:
    client = client_for(make_client, tmp_path, backend.environment(), PER_CALLER_3)
    statuses = [post(client, f"2001:db8:5:6::{n:x}").status_code for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    assert post(client, "2001:db8:5:7::1").status_code == 200


def test_without_forwarded_for_the_socket_peer_is_the_caller(
    make_client: AppFactory, tmp_path: Path, backend: Backend, gemini: FakeGemini
) -> None:
    quotas = "  per_caller: {tokens: 1, per_seconds: 2592000}\n"
    client = client_for(make_client, tmp_path, backend.environment(), quotas)
    assert post(client, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    assert post(client, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert post(client, environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200


def test_profile_limit_refuses_every_caller_once_used_up(
    make_client: AppFactory,
    tmp_path: Path,
    backend: Backend,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    quotas = "  per_profile: {tokens: 2, per_seconds: 2592000}\n"
    client = client_for(make_client, tmp_path, backend.environment(), quotas)
    responses = [post(client, f"203.0.113.{n}") for n in range(1, 4)]
    assert [response.status_code for response in responses] == [200, 200, 429]
    assert log_lines(capsys.readouterr().out)[-1]["reason"] == "quota_exhausted_profile"
    # An app can tell "everyone's budget is spent" from "you asked too often".
    assert responses[-1].get_json()["error"]["details"][0]["reason"] == "QUOTA_EXHAUSTED_PROFILE"


def test_a_request_refused_for_its_options_is_not_counted(
    make_client: AppFactory, tmp_path: Path, fake_firestore: FakeFirestore, gemini: FakeGemini
) -> None:
    environment = {"FIRESTORE_EMULATOR_HOST": fake_firestore.host}
    client = client_for(make_client, tmp_path, environment, PER_CALLER_3)
    refused = post(client, "203.0.113.7", json={"options": {"voice": "Kore"}})
    assert refused.status_code == 400
    assert fake_firestore.calls["commit"] == 0


def test_missing_store_refuses_with_503_within_the_deadline_by_default(
    make_client: AppFactory,
    tmp_path: Path,
    fake_firestore: FakeFirestore,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_firestore.answer_with(HANG)
    environment = {
        "FIRESTORE_EMULATOR_HOST": fake_firestore.host,
        "TOKENVEND_FIRESTORE_TIMEOUT_SECONDS": "0.2",
    }
    client = client_for(make_client, tmp_path, environment, PER_CALLER_3)
    refused = post(client, "203.0.113.7")
    assert refused.status_code == 503
    assert refused.get_json()["error"]["status"] == "UNAVAILABLE"
    assert "Retry-After" in refused.headers
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert gemini.request_count == 0
    lines = log_lines(capsys.readouterr().out)
    assert lines[-1]["reason"] == "quota_store_unavailable"
    assert any("did not answer in time" in line["message"] for line in lines)


def test_missing_store_with_allow_serves_the_limit_counted_in_memory_and_warns_once(
    make_client: AppFactory,
    tmp_path: Path,
    fake_firestore: FakeFirestore,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_firestore.answer_with(500)
    environment = {"FIRESTORE_EMULATOR_HOST": fake_firestore.host}
    quotas = PER_CALLER_3 + "  when_store_unavailable: allow\n"
    client = client_for(make_client, tmp_path, environment, quotas)
    # The store counts nothing, so this instance counts the caller on its own.
    assert [post(client, "203.0.113.7").status_code for _ in range(5)] == [200] * 3 + [429] * 2
    assert gemini.request_count == 3
    warnings = [
        line
        for line in log_lines(capsys.readouterr().out)
        if line["severity"] == "WARNING" and line.get("reason") == "quota_store_unavailable"
    ]
    assert len(warnings) == 1
    assert "HTTP 500" in warnings[0]["message"]


def test_unreachable_store_refuses_with_503(
    make_client: AppFactory, tmp_path: Path, gemini: FakeGemini
) -> None:
    with FakeFirestore() as closed:
        host = closed.host
    client = client_for(make_client, tmp_path, {"FIRESTORE_EMULATOR_HOST": host}, PER_CALLER_3)
    assert post(client, "203.0.113.7").status_code == 503
    assert gemini.request_count == 0


BOTH_LIMITS = (
    "  per_caller: {tokens: 3, per_seconds: 2592000}\n"
    "  per_profile: {tokens: 4, per_seconds: 2592000}\n"
)


@pytest.mark.parametrize(
    "failure",
    [
        [status(503), status(503)],  # a 5xx, retried once, then 502
        [status(400, "model not found")],  # Gemini refused the request
        [GARBAGE],  # an answer that is not a token
    ],
    ids=["5xx", "refusal", "garbage"],
)
def test_a_gemini_failure_costs_neither_the_caller_nor_the_profile_a_token(
    make_client: AppFactory,
    tmp_path: Path,
    backend: Backend,
    gemini: FakeGemini,
    failure: list[Answer],
) -> None:
    client = client_for(make_client, tmp_path, backend.environment(), BOTH_LIMITS)
    gemini.answer(*(failure * 5))
    assert [post(client, "203.0.113.7").status_code for _ in range(5)] == [502] * 5
    assert [post(client, "203.0.113.7").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert post(client, "203.0.113.8").status_code == 200  # the profile's fourth
    assert post(client, "203.0.113.9").status_code == 429


def test_a_gemini_timeout_gives_the_caller_its_token_back(
    make_client: AppFactory, tmp_path: Path, fake_firestore: FakeFirestore, gemini: FakeGemini
) -> None:
    environment = {
        "FIRESTORE_EMULATOR_HOST": fake_firestore.host,
        "TOKENVEND_GEMINI_TIMEOUT_SECONDS": "0.3",
    }
    quotas = "  per_caller: {tokens: 1, per_seconds: 2592000}\n"
    client = client_for(make_client, tmp_path, environment, quotas)
    gemini.answer(TRICKLE)
    assert post(client, "203.0.113.7").status_code == 504
    assert post(client, "203.0.113.7").status_code == 200
    assert post(client, "203.0.113.7").status_code == 429
