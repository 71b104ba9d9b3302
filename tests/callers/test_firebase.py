"""``callers: {firebase: ...}`` through the real function, keys served on loopback."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.callers.conftest import CallerClient
from tests.conftest import ALLOWED_ORIGIN, log_lines
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import (
    FIREBASE_PROJECT,
    FakeKeyServer,
    firebase_claims,
    signing_key,
)
from tests.refusals import assert_unauthenticated

KEY = signing_key("firebase-1")
OTHER_PUBLISHED_KEY = signing_key("firebase-2")
ATTACKER = signing_key("attacker")
NOW = int(time.time())

MEMBERS = f"""\
  callers:
    firebase:
      project_id: {FIREBASE_PROJECT}
      allowed_email_domains: [example.com]
      allowed_emails: [Boss@partner.org]
"""
VERIFIED_ONLY = f"""\
  callers:
    firebase:
      project_id: {FIREBASE_PROJECT}
      require_email_verified: true
"""


PUBLISHED = [KEY, OTHER_PUBLISHED_KEY]


@pytest.fixture
def client(caller_client: CallerClient) -> FlaskClient:
    return caller_client(MEMBERS)


def post(client: FlaskClient, token: str | None, scheme: str = "Bearer") -> TestResponse:
    headers = {"Origin": ALLOWED_ORIGIN}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return client.post("/", headers=headers)


def refused(response: TestResponse, status: int, output: str) -> str:
    """The logged reason of a refusal, after checking status and headers."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenvend"'
    reason: str = log_lines(output)[-1]["reason"]
    return reason


def test_valid_firebase_token_mints_and_logs_a_hashed_caller(
    client: FlaskClient, gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    token = KEY.sign(firebase_claims())
    response = post(client, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(gemini.requests) == 1
    output = capsys.readouterr().out
    entry = log_lines(output)[-1]
    assert entry["caller_kind"] == "firebase" and entry["reason"] == "minted"
    assert len(entry["caller"]) == 24 and "firebase-uid-0042" not in entry["caller"]
    for secret in (token, "firebase-uid-0042", "ada@example.com"):
        assert secret not in output


def test_same_user_gets_the_same_hash_and_another_user_another(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    for subject in ("uid-a", "uid-a", "uid-b"):
        assert post(client, KEY.sign(firebase_claims(sub=subject))).status_code == 200
    hashes = [entry["caller"] for entry in log_lines(capsys.readouterr().out)[-3:]]
    assert hashes[0] == hashes[1] != hashes[2]


def test_token_signed_by_the_other_published_key_is_accepted(client: FlaskClient) -> None:
    assert post(client, OTHER_PUBLISHED_KEY.sign(firebase_claims())).status_code == 200


@pytest.mark.parametrize(
    "auth_time", [pytest.param(None, id="none"), pytest.param(NOW + 3600, id="in_the_future")]
)
def test_firebase_token_without_a_past_auth_time_gets_401(
    client: FlaskClient,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    auth_time: int | None,
) -> None:
    token = KEY.sign(firebase_claims(auth_time=auth_time))
    response = post(client, token)
    assert_unauthenticated(
        response, capsys.readouterr().out, reason="bad_auth_time", gemini=gemini, token=token
    )


def test_basic_credentials_are_not_a_bearer_token(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = post(client, KEY.sign(firebase_claims()), scheme="Basic")
    assert refused(response, 401, capsys.readouterr().out) == "credential_missing"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({"email_verified": False}, "email_not_verified", id="unverified_email"),
        pytest.param({"email": "eve@elsewhere.com"}, "email_not_allowed", id="other_domain"),
        pytest.param({"email": "eve@sub.example.com"}, "email_not_allowed", id="subdomain"),
        pytest.param({"email": None}, "email_not_allowed", id="no_email"),
    ],
)
def test_firebase_user_outside_the_email_rules_gets_403(
    client: FlaskClient,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    claims: dict[str, object],
    reason: str,
) -> None:
    response = post(client, KEY.sign(firebase_claims(**claims)))
    output = capsys.readouterr().out
    assert refused(response, 403, output) == reason
    assert "WWW-Authenticate" not in response.headers
    assert gemini.requests == []
    body = response.get_data(as_text=True)
    assert "eve@" not in body and "example.com" not in body and "eve@" not in output


@pytest.mark.parametrize("email", ["ADA@Example.com", "boss@PARTNER.org"])
def test_email_in_either_allow_list_is_allowed_whatever_its_case(
    client: FlaskClient, email: str
) -> None:
    assert post(client, KEY.sign(firebase_claims(email=email))).status_code == 200


def test_require_email_verified_refuses_unverified_users_with_403(
    caller_client: CallerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client = caller_client(VERIFIED_ONLY)
    assert post(client, KEY.sign(firebase_claims(email="x@anywhere.org"))).status_code == 200
    response = post(client, KEY.sign(firebase_claims(email_verified=False)))
    assert refused(response, 403, capsys.readouterr().out) == "email_not_verified"


def test_ten_requests_on_a_warm_instance_fetch_the_certificates_once(
    caller_client: CallerClient, keys: FakeKeyServer
) -> None:
    client = caller_client(MEMBERS)
    assert keys.fetches == {}  # cold start touches no network
    token = KEY.sign(firebase_claims())
    statuses = [post(client, token).status_code for _ in range(5)]
    statuses += [post(client, ATTACKER.sign(firebase_claims())).status_code for _ in range(5)]
    assert statuses == [200] * 5 + [401] * 5
    assert keys.fetches == {"/firebase": 1}


def test_unreachable_certificates_on_a_cold_instance_give_503_with_retry_after(
    client: FlaskClient, keys: FakeKeyServer, capsys: pytest.CaptureFixture[str]
) -> None:
    keys.failing = True
    response = post(client, KEY.sign(firebase_claims()))
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert log_lines(capsys.readouterr().out)[-1]["reason"] == "keys_unavailable"


def test_unauthenticated_request_is_refused_before_its_body_is_read(
    client: FlaskClient, gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.post(
        "/", headers={"Origin": ALLOWED_ORIGIN}, data="{not json", content_type="text/plain"
    )
    assert refused(response, 401, capsys.readouterr().out) == "credential_missing"
    assert gemini.requests == []


def test_refusal_log_names_the_caller_kind_the_policy_asks_for(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    post(client, None)
    assert log_lines(capsys.readouterr().out)[-1]["caller_kind"] == "firebase"
