"""``callers: {google: ...}`` through the real function, keys served on loopback."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.callers.conftest import CallerClient
from tests.conftest import ALLOWED_ORIGIN, log_lines
from tests.fakes.keys import (
    GOOGLE_CLIENT_ID,
    FakeKeyServer,
    google_claims,
    signing_key,
)

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


PUBLISHED = [KEY]


@pytest.fixture
def client(caller_client: CallerClient) -> FlaskClient:
    return caller_client(STAFF)


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


def test_listed_email_is_allowed_without_a_listed_domain(client: FlaskClient) -> None:
    token = KEY.sign(google_claims(hd=None, email="Contractor@gmail.com"))
    assert post(client, token).status_code == 200


def test_an_email_at_the_domain_is_not_the_workspace_domain_claim(
    caller_client: CallerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client = caller_client(DOMAIN_ONLY)
    # A consumer account can carry any address; only the hd claim proves the domain.
    response = post(client, KEY.sign(google_claims(hd=None, email="ops@example.com")))
    assert response.status_code == 403
    assert reason_of(capsys.readouterr().out) == "domain_not_allowed"


def test_without_rules_any_google_account_for_a_listed_audience_mints(
    caller_client: CallerClient,
) -> None:
    client = caller_client(ANY_ACCOUNT)
    token = KEY.sign(google_claims(hd=None, email="x@gmail.com", email_verified=False))
    assert post(client, token).status_code == 200


def test_ten_requests_on_a_warm_instance_fetch_the_certificates_once(
    client: FlaskClient, keys: FakeKeyServer
) -> None:
    token = KEY.sign(google_claims())
    assert [post(client, token).status_code for _ in range(10)] == [200] * 10
    assert keys.fetches == {"/google": 1}
