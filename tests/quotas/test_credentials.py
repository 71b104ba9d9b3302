"""Production's credentials path: google-auth's real service-account flow, on loopback.

A service-account key file whose ``token_uri`` is a loopback token endpoint stands in
for Cloud Run's metadata server: google-auth signs its JWT, the endpoint answers an
access token, and the fake Firestore checks that token on every call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.server import LoopbackServer, QuietHandler
from tests.quotas.fake_firestore import FakeFirestore
from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.outbound import GoogleCredentials
from tokenvend.quotas.firestore import SCOPE, FirestoreStore
from tokenvend.quotas.transport import FirestoreTransport


class TokenEndpoint(LoopbackServer):
    """OAuth's token endpoint: answers ``owner`` (what the fake Firestore expects)."""

    def __init__(self) -> None:
        super().__init__(_TokenHandler)
        self.calls = 0
        self.hang = False
        self.released = threading.Event()

    def stop(self) -> None:
        self.released.set()
        super().stop()


class _TokenHandler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        endpoint: TokenEndpoint = self.server.fake  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        endpoint.calls += 1
        if endpoint.hang:
            endpoint.released.wait()
            return
        body = {"access_token": "owner", "expires_in": 3600, "token_type": "Bearer"}
        self.send_json(200, json.dumps(body).encode())


@pytest.fixture
def token_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with TokenEndpoint() as endpoint:
        account = {
            "type": "service_account",
            "project_id": "demo-tokenvend",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "tokenvend@demo-tokenvend.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"{endpoint.url}/token",
        }
        path = tmp_path / "key.json"
        path.write_text(json.dumps(account), encoding="utf-8")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
        yield endpoint


def store_on(fake: FakeFirestore, deadline_seconds: float = 5.0) -> FirestoreStore:
    transport = FirestoreTransport(
        f"{fake.url}/v1",
        deadline_seconds=deadline_seconds,
        authorization=GoogleCredentials([SCOPE]),
    )
    return FirestoreStore(transport, project="demo-tokenvend", database="(default)")


def test_the_service_accounts_token_authorizes_every_call_and_is_fetched_once(
    token_endpoint: TokenEndpoint, fake_firestore: FakeFirestore
) -> None:
    store = store_on(fake_firestore)
    store.set_paused("kiosk", True)
    assert store.paused("kiosk") is True
    assert store.paused("desk") is False
    assert token_endpoint.calls == 1


def test_a_token_endpoint_that_never_answers_costs_the_call_its_deadline_only(
    token_endpoint: TokenEndpoint, fake_firestore: FakeFirestore
) -> None:
    token_endpoint.hang = True
    store = store_on(fake_firestore, deadline_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(QuotaStoreUnavailable) as failed:
        store.paused("kiosk")
    assert failed.value.detail.startswith("no credentials for Firestore")
    assert time.monotonic() - started < 10
    assert fake_firestore.calls["get"] == 0


def test_without_any_credentials_the_store_is_unavailable_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_firestore: FakeFirestore
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(QuotaStoreUnavailable) as failed:
        store_on(fake_firestore).paused("kiosk")
    assert failed.value.detail == "no credentials for Firestore: DefaultCredentialsError"
