"""The contract every caller kind keeps: one forged-token table, run against each kind.

Firebase ID tokens, Google ID tokens and App Check tokens go through one verifier, so a
forgery is refused the same way whichever header carries it: 401, ``WWW-Authenticate``,
the same reason code (App Check's with an ``app_check_`` prefix), nothing minted and
nothing of the token in the response or the log. Each kind is served by the real
function, its keys by a loopback server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.callers.conftest import CallerClient
from tests.conftest import ALLOWED_ORIGIN
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import (
    APP_ID,
    FIREBASE_PROJECT,
    GOOGLE_CLIENT_ID,
    PROJECT_NUMBER,
    app_check_claims,
    firebase_claims,
    google_claims,
    signing_key,
    unsigned_token,
)
from tests.refusals import assert_unauthenticated

KEY = signing_key("contract-1")
ATTACKER = signing_key("attacker")
NOW = int(time.time())


@dataclass(frozen=True)
class Kind:
    """One caller kind: its policy, its claims, where its token travels."""

    name: str
    access: str
    claims: Callable[..., dict[str, Any]]
    header: str
    scheme: str
    reason_prefix: str
    missing_reason: str

    def headers(self, token: str) -> dict[str, str]:
        return {self.header: f"{self.scheme}{token}"}


KINDS = [
    Kind(
        "firebase",
        f"  callers:\n    firebase: {{project_id: {FIREBASE_PROJECT}}}\n",
        firebase_claims,
        "Authorization",
        "Bearer ",
        "",
        "credential_missing",
    ),
    Kind(
        "google",
        f"  callers:\n    google: {{audiences: [{GOOGLE_CLIENT_ID}]}}\n",
        google_claims,
        "Authorization",
        "Bearer ",
        "",
        "credential_missing",
    ),
    Kind(
        "app_check",
        "  callers: anonymous\n  app_check:\n"
        f'    project_number: "{PROJECT_NUMBER}"\n    app_ids: ["{APP_ID}"]\n',
        app_check_claims,
        "X-Firebase-AppCheck",
        "",
        "app_check_",
        "app_check_missing",
    ),
]

Forge = Callable[[Kind], str]


def signed(**overrides: Any) -> Forge:
    return lambda kind: KEY.sign(kind.claims(**overrides))


def b64_json(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def hmac_keyed_with_the_public_key(kind: Kind) -> str:
    """The classic forgery: HS256, with the issuer's public key as the HMAC secret."""
    secret = KEY.certificate_pem.encode()
    header = {"alg": "HS256", "typ": "JWT", "kid": KEY.kid}
    signing_input = f"{b64_json(header)}.{b64_json(kind.claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def nested_header(_: Kind) -> str:
    return base64.urlsafe_b64encode(b"[" * 5000).rstrip(b"=").decode() + ".e30.c2ln"


# name, forgery, reason code (before the kind's prefix)
FORGERIES: list[tuple[str, Forge, str]] = [
    ("garbage", lambda _: "not-a-token", "token_malformed"),
    ("garbage_in_three_parts", lambda _: "a.b.c", "token_malformed"),
    ("header_not_an_object", lambda _: "WzFd.e30.c2ln", "token_malformed"),  # header: [1]
    ("header_nested_past_the_stack", nested_header, "token_malformed"),
    ("longer_than_any_real_token", lambda _: "e30." + "a" * 8200 + ".c2ln", "token_malformed"),
    ("alg_none", lambda kind: unsigned_token(kind.claims(), KEY.kid), "wrong_algorithm"),
    ("hs256_keyed_with_the_public_key", hmac_keyed_with_the_public_key, "wrong_algorithm"),
    ("another_key_same_key_id", lambda k: ATTACKER.sign(k.claims(), kid=KEY.kid), "bad_signature"),
    ("unknown_key_id", lambda kind: ATTACKER.sign(kind.claims()), "unknown_key"),
    ("expired", signed(iat=NOW - 7200, exp=NOW - 3600), "token_expired"),
    ("issued_in_the_future", signed(iat=NOW + 3600, exp=NOW + 7200), "token_used_too_early"),
    ("not_before_in_the_future", signed(nbf=NOW + 3600), "token_used_too_early"),
    ("exp_not_a_number", signed(exp=float("nan")), "bad_time_claim"),
    ("exp_infinite", signed(exp=float("inf")), "bad_time_claim"),
    ("exp_a_string", signed(exp=str(NOW + 3600)), "bad_time_claim"),
    ("iat_a_boolean", signed(iat=True), "bad_time_claim"),
    ("nbf_not_a_number", signed(nbf=float("nan")), "bad_time_claim"),
    ("auth_time_not_a_number", signed(auth_time=float("nan")), "bad_time_claim"),
    ("no_exp", signed(exp=None), "missing_claim"),
    ("for_another_audience", signed(aud="someone-else"), "wrong_audience"),
    ("from_another_issuer", signed(iss="https://issuer.example.com"), "wrong_issuer"),
    ("empty_subject", signed(sub=""), "missing_subject"),
    ("subject_not_a_string", signed(sub=42), "token_malformed"),
]


PUBLISHED = [KEY]


@pytest.fixture(params=KINDS, ids=lambda kind: kind.name)
def kind(request: pytest.FixtureRequest) -> Kind:
    chosen: Kind = request.param
    return chosen


@pytest.fixture
def client(caller_client: CallerClient, kind: Kind) -> FlaskClient:
    return caller_client(kind.access)


def test_a_valid_token_of_each_kind_mints(client: FlaskClient, kind: Kind) -> None:
    headers = {"Origin": ALLOWED_ORIGIN, **kind.headers(KEY.sign(kind.claims()))}
    response = client.post("/", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_no_credential_gets_401_saying_what_to_send(
    client: FlaskClient, kind: Kind, gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert_unauthenticated(
        response, capsys.readouterr().out, reason=kind.missing_reason, gemini=gemini, token=None
    )
    assert "send" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("forge", "reason"), [pytest.param(forge, reason, id=name) for name, forge, reason in FORGERIES]
)
def test_forged_token_gets_401_with_the_same_reason_for_every_kind(
    client: FlaskClient,
    kind: Kind,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    forge: Forge,
    reason: str,
) -> None:
    token = forge(kind)
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN, **kind.headers(token)})
    output = capsys.readouterr().out
    assert_unauthenticated(
        response, output, reason=kind.reason_prefix + reason, gemini=gemini, token=token
    )
    assert "stack_trace" not in output
