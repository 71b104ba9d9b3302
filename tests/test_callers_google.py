"""``callers: {google: ...}`` through the real function, keys served on loopback."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import ALLOWED_ORIGIN, AppFactory, log_lines
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import (
    GOOGLE_CLIENT_ID,
    FakeKeyServer,
    google_claims,
    signing_key,
    unsigned_token,
    write_policy,
)
from tests.refusals import assert_unauthenticated

KEY = signing_key("google-1")
ATTACKER = signing_key("attacker")
NOW = int(time.time())

STAFF = f"""\
  callers:
    google:
      audiences: [{GOOGLE_CLIENT_ID}]
      allowed_emails: [contractor@gmail.com]
      allowed_domains: [example.com]
"""
DOMAIN_ONLY = f"""\
  callers:
    google:
      audiences: [{GOOGLE_CLIENT_ID}]
      allowed_domains: [example.com]
"""
ANY_ACCOUNT = f"""\
  callers:
    google:
      audiences: [other-client.apps.googleusercontent.com, {GOOGLE_CLIENT_ID}]
"""


@pytest.fixture
def keys() -> Iterator[FakeKeyServer]:
    with FakeKeyServer([KEY]) as server:
        yield server


@pytest.fixture
def build(
    make_client: AppFactory, keys: FakeKeyServer, tmp_path: Path
) -> Callable[[str], FlaskClient]:
    def build_with(access: str) -> FlaskClient:
        write_policy(tmp_path, "staff", access)
        return make_client("staff", TOKENVEND_POLICY_DIR=str(tmp_path), **keys.environment())

    return build_with


@pytest.fixture
def client(build: Callable[[str], FlaskClient]) -> FlaskClient:
    return build(STAFF)


def post(client: FlaskClient, token: str | None) -> TestResponse:
    headers = {"Origin": ALLOWED_ORIGIN}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/", headers=headers)


def reason_of(output: str) -> str:
    reason: str = log_lines(output)[-1]["reason"]
    return reason


@pytest.mark.parametrize("issuer", ["https://accounts.google.com", "accounts.google.com"])
def test_valid_google_id_token_from_either_issuer_spelling_mints(
    client: FlaskClient, capsys: pytest.CaptureFixture[str], issuer: str
) -> None:
    token = KEY.sign(google_claims(iss=issuer))
    response = post(client, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    output = capsys.readouterr().out
    entry = log_lines(output)[-1]
    assert entry["caller_kind"] == "google" and len(entry["caller"]) == 24
    for secret in (token, "109876543210987654321", "ops@example.com"):
        assert secret not in output


Forge = Callable[[], str]
UNAUTHENTICATED: list[tuple[str, Forge | None, str]] = [
    ("no_credential", None, "credential_missing"),
    ("garbage", lambda: "garbage", "token_malformed"),
    ("header_not_an_object", lambda: "WzFd.e30.c2ln", "token_malformed"),  # header: [1]
    ("alg_none", lambda: unsigned_token(google_claims(), KEY.kid), "wrong_algorithm"),
    ("another_key_with_the_same_key_id",
     lambda: ATTACKER.sign(google_claims(), kid=KEY.kid), "bad_signature"),
    ("expired", lambda: KEY.sign(google_claims(iat=NOW - 7200, exp=NOW - 3600)), "token_expired"),
    ("for_another_audience",
     lambda: KEY.sign(google_claims(aud="999-other.apps.googleusercontent.com")),
     "wrong_audience"),
    ("right_audience_wrong_issuer",
     lambda: KEY.sign(google_claims(iss="https://securetoken.google.com/demo-tokenvend")),
     "wrong_issuer"),
    ("issuer_lookalike", lambda: KEY.sign(google_claims(iss="https://accounts.google.com.evil")),
     "wrong_issuer"),
    ("empty_subject", lambda: KEY.sign(google_claims(sub="")), "missing_subject"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("forge", "reason"),
    [pytest.param(forge, reason, id=name) for name, forge, reason in UNAUTHENTICATED],
)
def test_bad_google_credential_gets_401_with_www_authenticate_and_no_token(
    client: FlaskClient,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    forge: Forge | None,
    reason: str,
) -> None:
    token = forge() if forge else None
    response = post(client, token)
    assert_unauthenticated(
        response, capsys.readouterr().out, reason=reason, gemini=gemini, token=token
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        pytest.param({"email_verified": False}, "email_not_verified", id="unverified_email"),
        pytest.param({"hd": "other.org", "email": "x@other.org"}, "email_not_allowed",
                     id="other_workspace_domain"),
        pytest.param({"hd": None, "email": "someone@gmail.com"}, "email_not_allowed",
                     id="consumer_account_not_listed"),
    ],
)  # fmt: skip
def test_google_account_outside_the_rules_gets_403(
    client: FlaskClient,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    claims: dict[str, object],
    reason: str,
) -> None:
    response = post(client, KEY.sign(google_claims(**claims)))
    assert response.status_code == 403
    assert response.get_json()["error"]["status"] == "PERMISSION_DENIED"
    assert reason_of(capsys.readouterr().out) == reason
    assert gemini.requests == []


def test_listed_email_is_allowed_without_a_listed_domain(client: FlaskClient) -> None:
    token = KEY.sign(google_claims(hd=None, email="Contractor@gmail.com"))
    assert post(client, token).status_code == 200


def test_an_email_at_the_domain_is_not_the_workspace_domain_claim(
    build: Callable[[str], FlaskClient], capsys: pytest.CaptureFixture[str]
) -> None:
    client = build(DOMAIN_ONLY)
    # A consumer account can carry any address; only the hd claim proves the domain.
    response = post(client, KEY.sign(google_claims(hd=None, email="ops@example.com")))
    assert response.status_code == 403
    assert reason_of(capsys.readouterr().out) == "domain_not_allowed"


def test_without_rules_any_google_account_for_a_listed_audience_mints(
    build: Callable[[str], FlaskClient],
) -> None:
    client = build(ANY_ACCOUNT)
    token = KEY.sign(google_claims(hd=None, email="x@gmail.com", email_verified=False))
    assert post(client, token).status_code == 200


def test_ten_requests_on_a_warm_instance_fetch_the_certificates_once(
    client: FlaskClient, keys: FakeKeyServer
) -> None:
    token = KEY.sign(google_claims())
    assert [post(client, token).status_code for _ in range(10)] == [200] * 10
    assert keys.fetches == {"/google": 1}


def test_token_nested_past_the_stack_is_401_not_a_crash(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    header = base64.urlsafe_b64encode(b"[" * 5000).rstrip(b"=").decode()
    response = post(client, f"{header}.e30.c2ln")
    assert response.status_code == 401
    assert "stack_trace" not in capsys.readouterr().out
