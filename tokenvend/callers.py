"""Who is asking: the caller checks a policy's ``access.callers`` asks for.

Each check reads the request headers and either returns who the caller is, for the
decision log, or raises Unauthenticated (no or bad credential) or PermissionDenied
(a valid credential the policy does not allow).

The verifiers for signed tokens (google-auth's JWT code, PyJWT) are imported only when
the policy asks for them: an anonymous profile's cold start never loads them.

The decision log never holds a raw uid or email: ``subject_hash`` is an HMAC-SHA256 of
issuer and subject under a salt. The salt comes from ``TOKENVEND_SUBJECT_HASH_SALT`` when
set (the same caller then hashes alike on every instance, so logs can be correlated),
and is otherwise random per instance (hashes then only group requests of one instance).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from werkzeug.datastructures import Headers

from tokenvend.clock import Clock
from tokenvend.logs import StructuredLog
from tokenvend.policy_access import Access, AnonymousCallers, FirebaseCallers

DEFAULT_FIREBASE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)
DEFAULT_GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
DEFAULT_APP_CHECK_JWKS_URL = "https://firebaseappcheck.googleapis.com/v1/jwks"
# How long a key fetch waits for the key URL's answer, once connected.
DEFAULT_KEY_FETCH_TIMEOUT_SECONDS = 5.0

Key = TypeVar("Key")


@dataclass(frozen=True)
class Caller:
    kind: str
    subject_hash: str | None = None
    app_id: str | None = None


class CallerCheck(Protocol):
    def identify(self, headers: Headers) -> Caller:
        """Who is calling; raises Unauthenticated or PermissionDenied to refuse."""
        ...


class AnonymousCheck:
    """``callers: anonymous``: anyone who passed the origin check may mint."""

    def identify(self, headers: Headers) -> Caller:
        return Caller(kind="anonymous")


class SubjectHasher:
    """A salted, truncated hash of a caller's subject, for the decision log."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt or secrets.token_bytes(32)

    def hash(self, issuer: str, subject: str) -> str:
        digest = hmac.new(self._salt, f"{issuer}\n{subject}".encode(), hashlib.sha256)
        return digest.hexdigest()[:24]


@dataclass(frozen=True)
class KeyUrls:
    """Where the issuers' public keys are fetched (tests serve their own)."""

    firebase_certs: str = DEFAULT_FIREBASE_CERTS_URL
    google_certs: str = DEFAULT_GOOGLE_CERTS_URL
    app_check_jwks: str = DEFAULT_APP_CHECK_JWKS_URL


class AppCheckedCallers:
    """A caller check that also requires a valid App Check token (checked first)."""

    def __init__(self, callers: CallerCheck, app_check: _AppIdSource) -> None:
        self._callers = callers
        self._app_check = app_check

    def identify(self, headers: Headers) -> Caller:
        app_id = self._app_check.app_id(headers)
        caller = self._callers.identify(headers)
        return Caller(kind=caller.kind, subject_hash=caller.subject_hash, app_id=app_id)


class _AppIdSource(Protocol):
    def app_id(self, headers: Headers) -> str: ...


def caller_check_for(
    access: Access,
    *,
    urls: KeyUrls,
    clock: Clock,
    log: StructuredLog,
    salt: bytes | None = None,
    key_fetch_timeout_seconds: float = DEFAULT_KEY_FETCH_TIMEOUT_SECONDS,
) -> CallerCheck:
    if isinstance(access.callers, AnonymousCallers) and access.app_check is None:
        return AnonymousCheck()
    from tokenvend.public_keys import PublicKeys, parse_x509_map

    def keys_at(url: str, parse: Callable[[Any], Mapping[str, Key]]) -> PublicKeys[Key]:
        return PublicKeys(
            url, parse, clock=clock, log=log, timeout_seconds=key_fetch_timeout_seconds
        )

    check: CallerCheck = AnonymousCheck()
    if not isinstance(access.callers, AnonymousCallers):
        from tokenvend.id_tokens import FirebaseCheck, GoogleCheck

        hasher = SubjectHasher(salt)
        if isinstance(access.callers, FirebaseCallers):
            keys = keys_at(urls.firebase_certs, parse_x509_map)
            check = FirebaseCheck(access.callers, keys, hasher, clock)
        else:
            check = GoogleCheck(access.callers, keys_at(urls.google_certs, parse_x509_map), hasher)
    if access.app_check is not None:
        from tokenvend.app_check import AppCheckVerifier, parse_jwks

        verifier = AppCheckVerifier(access.app_check, keys_at(urls.app_check_jwks, parse_jwks))
        check = AppCheckedCallers(check, verifier)
    return check
