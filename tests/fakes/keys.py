"""Locally generated RSA keys, and a loopback server that publishes them like Google.

``/firebase`` and ``/google`` serve ``{key id: PEM certificate}`` maps (the securetoken
and OAuth2 v1 formats), ``/jwks`` a JWKS (App Check's format), each with
``Cache-Control: public, max-age=N``. The server counts fetches per path and can be
told to fail. Token helpers sign claims with a key, or build the malformed tokens an
attacker would send. Times come from the wall clock because google-auth and PyJWT read
it themselves; tests keep every ``iat``/``exp`` at least minutes away from the edges.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.server import LoopbackServer, QuietHandler

FIREBASE_PROJECT = "demo-tokenvend"
GOOGLE_CLIENT_ID = "1234-abc.apps.googleusercontent.com"
PROJECT_NUMBER = "123456789012"
APP_ID = f"1:{PROJECT_NUMBER}:web:0a1b2c3d4e5f"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @cached_property
    def certificate_pem(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tokenvend test")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=2))
            .sign(self.private_key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM).decode()

    @cached_property
    def jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64_int(numbers.n),
            "e": _b64_int(numbers.e),
        }

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, **header: Any) -> str:
        headers = {"kid": kid or self.kid, **header}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)


@cache
def signing_key(kid: str) -> SigningKey:
    """One RSA key per key id for the whole test run (generating them is slow)."""
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def unsigned_token(claims: dict[str, Any], kid: str) -> str:
    """An ``alg: none`` token: header and claims, empty signature."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_b64_json(header)}.{_b64_json(claims)}."


def times(now: float | None = None, *, expires_in: int = 3600) -> dict[str, int]:
    """``iat``/``exp`` around the wall clock, far from every skew boundary."""
    moment = int(time.time() if now is None else now)
    return {"iat": moment - 600, "exp": moment + expires_in}


def firebase_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": f"https://securetoken.google.com/{FIREBASE_PROJECT}",
        "aud": FIREBASE_PROJECT,
        "sub": "firebase-uid-0042",
        "auth_time": int(time.time()) - 900,
        "email": "ada@example.com",
        "email_verified": True,
        "firebase": {"sign_in_provider": "password"},
        **times(),
    }
    claims.update(overrides)
    return claims


def google_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": "https://accounts.google.com",
        "aud": GOOGLE_CLIENT_ID,
        "azp": GOOGLE_CLIENT_ID,
        "sub": "109876543210987654321",
        "email": "ops@example.com",
        "email_verified": True,
        "hd": "example.com",
        **times(),
    }
    claims.update(overrides)
    return claims


def app_check_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": f"https://firebaseappcheck.googleapis.com/{PROJECT_NUMBER}",
        "aud": [f"projects/{PROJECT_NUMBER}", f"projects/{FIREBASE_PROJECT}"],
        "sub": APP_ID,
        **times(),
    }
    claims.update(overrides)
    return claims


class FakeKeyServer(LoopbackServer):
    """Publishes keys at /firebase, /google (x509 maps) and /jwks (JWKS)."""

    def __init__(self, keys: list[SigningKey], *, max_age_seconds: int = 3600) -> None:
        super().__init__(_Handler)
        self.keys = keys
        self.max_age_seconds = max_age_seconds
        self.fetches: Counter[str] = Counter()
        self.failing = False
        self._lock = threading.Lock()

    def environment(self) -> dict[str, str]:
        return {
            "TOKENVEND_FIREBASE_CERTS_URL": f"{self.url}/firebase",
            "TOKENVEND_GOOGLE_CERTS_URL": f"{self.url}/google",
            "TOKENVEND_APP_CHECK_JWKS_URL": f"{self.url}/jwks",
        }

    def document(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            self.fetches[path] += 1
        if path in ("/firebase", "/google"):
            return {key.kid: key.certificate_pem for key in self.keys}
        if path == "/jwks":
            return {"keys": [key.jwk for key in self.keys]}
        return None


class _Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802
        fake: FakeKeyServer = self.server.fake  # type: ignore[attr-defined]
        document = fake.document(self.path)
        if document is None or fake.failing:
            self.send_json(404 if document is None else 500, b'{"error": "no"}')
            return
        cache_control = {"Cache-Control": f"public, max-age={fake.max_age_seconds}"}
        self.send_json(200, json.dumps(document).encode(), cache_control)


def write_policy(
    folder: Path, name: str, access: str, *, extra: str = "", live: str | None = None
) -> Path:
    """A policy file whose ``access`` section is ``access`` (YAML, indented two spaces)."""
    live = live or (
        "live:\n  model: gemini-3.8-live\n  config: {responseModalities: [AUDIO]}\n  lock: all\n"
    )
    text = (
        "description: Test profile.\n"
        "token: {uses: 1, expire_after_seconds: 600, new_session_expire_after_seconds: 60}\n"
        f"{live}access:\n  allowed_origins: [http://localhost:5173]\n{access}{extra}"
        "deploy: {public: true}\n"
    )
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))
