"""``access.app_check`` through the real function, the JWKS served on loopback."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.callers.conftest import CallerClient
from tests.conftest import ALLOWED_ORIGIN, log_lines
from tests.fakes.keys import (
    APP_ID,
    FIREBASE_PROJECT,
    PROJECT_NUMBER,
    FakeKeyServer,
    app_check_claims,
    firebase_claims,
    signing_key,
)
from tokenvend.callers.public_keys import parse_jwks

KEY = signing_key("app-check-1")
FIREBASE_KEY = signing_key("firebase-1")
ATTACKER = signing_key("attacker")
NOW = int(time.time())
OTHER_APP = f"1:{PROJECT_NUMBER}:web:ffff0000"

APP_CHECK = f"""\
  app_check:
    project_number: "{PROJECT_NUMBER}"
    app_ids: ["{APP_ID}"]
"""
ANONYMOUS_WITH_APP_CHECK = "  callers: anonymous\n" + APP_CHECK
FIREBASE_WITH_APP_CHECK = (
    f"  callers:\n    firebase: {{project_id: {FIREBASE_PROJECT}}}\n{APP_CHECK}"
)


PUBLISHED = [KEY, FIREBASE_KEY]


@pytest.fixture
def client(caller_client: CallerClient) -> FlaskClient:
    return caller_client(ANONYMOUS_WITH_APP_CHECK)


def post(client: FlaskClient, app_check: str | None, bearer: str | None = None) -> TestResponse:
    headers = {"Origin": ALLOWED_ORIGIN}
    if app_check is not None:
        headers["X-Firebase-AppCheck"] = app_check
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return client.post("/", headers=headers)


def test_valid_app_check_token_mints_and_logs_the_app_id(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    token = KEY.sign(app_check_claims())
    response = post(client, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    output = capsys.readouterr().out
    entry = log_lines(output)[-1]
    assert entry["caller_kind"] == "anonymous" and entry["app_id"] == APP_ID
    assert token not in output


def test_app_check_token_of_an_app_the_policy_does_not_list_gets_403(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = post(client, KEY.sign(app_check_claims(sub=OTHER_APP)))
    assert response.status_code == 403
    assert log_lines(capsys.readouterr().out)[-1]["reason"] == "app_not_allowed"


def test_firebase_caller_needs_both_tokens(
    caller_client: CallerClient, capsys: pytest.CaptureFixture[str]
) -> None:
    client = caller_client(FIREBASE_WITH_APP_CHECK)
    app_check = KEY.sign(app_check_claims())
    id_token = FIREBASE_KEY.sign(firebase_claims())
    assert post(client, app_check).status_code == 401
    assert post(client, None, id_token).status_code == 401
    assert post(client, app_check, id_token).status_code == 200
    entries = log_lines(capsys.readouterr().out)
    assert [entry["reason"] for entry in entries] == [
        "credential_missing",
        "app_check_missing",
        "minted",
    ]
    assert entries[-1]["caller_kind"] == "firebase" and entries[-1]["app_id"] == APP_ID


def test_ten_requests_on_a_warm_instance_fetch_each_key_set_once(
    caller_client: CallerClient, keys: FakeKeyServer
) -> None:
    client = caller_client(FIREBASE_WITH_APP_CHECK)
    app_check, id_token = KEY.sign(app_check_claims()), FIREBASE_KEY.sign(firebase_claims())
    assert [post(client, app_check, id_token).status_code for _ in range(10)] == [200] * 10
    assert keys.fetches == {"/jwks": 1, "/firebase": 1}


def test_unusable_keys_in_the_jwks_are_skipped_and_the_rest_kept() -> None:
    document = {
        "keys": [
            {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "kid": "no-modulus"},
            KEY.jwk,
        ]
    }
    assert list(parse_jwks(document)) == [KEY.kid]
