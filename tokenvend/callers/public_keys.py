"""Public keys of a token issuer, fetched once per instance and cached.

Google publishes the keys that sign Firebase ID tokens, Google ID tokens and App Check
tokens at fixed URLs, with a ``Cache-Control: max-age`` saying how long they stay good.
A warm instance fetches them when that time is up, never per request. When a refresh
fails, the keys already held keep serving (Google rotates keys long before it stops
using the old ones) and the next attempt waits a minute, so an outage of the key URL is
not turned into a fetch per request. Only an instance that never got any keys refuses,
with 503: that is an outage on our side, not a bad credential.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography import x509

from tokenvend import reasons
from tokenvend.clock import Clock
from tokenvend.errors import Unavailable
from tokenvend.logs import StructuredLog
from tokenvend.outbound import Outbound, OutboundError

# A public key as the cryptography package holds it; PyJWT verifies with it directly.
PublicKey = Any
DEFAULT_MAX_AGE_SECONDS = 300  # when the response says nothing usable
MIN_MAX_AGE_SECONDS = 60  # a max-age of 0 must not become a fetch per request
MAX_MAX_AGE_SECONDS = 6 * 3600  # App Check's documentation: cache at most six hours
RETRY_AFTER_FAILURE_SECONDS = 60
RETRY_WITHOUT_KEYS_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 2.0
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?([0-9]+)\"?\s*(?:,|$)", re.IGNORECASE)
# Google's key sets are a few kilobytes; a key server sending more is not sending one.
MAX_KEY_SET_BYTES = 256 * 1024


class KeyFetchFailed(Exception):
    """The key URL did not answer with a usable key set; the message names why."""


def max_age_seconds(cache_control: str | None, age: str | None) -> int:
    """Freshness of a response: ``max-age`` less ``Age``, bounded to sane limits."""
    match = _MAX_AGE.search(cache_control or "")
    directives = (cache_control or "").lower()
    if not match or "no-cache" in directives or "no-store" in directives:
        return DEFAULT_MAX_AGE_SECONDS
    # isdecimal, not isdigit: "²" is a digit that int() refuses. Only the first digits
    # count: a value of thousands of digits is refused by int() and means "forever" (or,
    # for Age, "stale") either way.
    seconds = _whole_seconds(match.group(1)) - (
        _whole_seconds(age) if age and age.isascii() and age.isdecimal() else 0
    )
    return max(MIN_MAX_AGE_SECONDS, min(MAX_MAX_AGE_SECONDS, seconds))


def _whole_seconds(digits: str) -> int:
    """A decimal number of seconds, saturated at a billion (some 30 years)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 9 else 10**9


class PublicKeys:
    """The key set at ``url``, parsed by ``parse`` into key id -> key."""

    def __init__(
        self,
        url: str,
        parse: Callable[[Any], Mapping[str, PublicKey]],
        *,
        clock: Clock,
        log: StructuredLog,
        timeout_seconds: float,
    ) -> None:
        self.url = url
        self._parse = parse
        self._clock = clock
        self._log = log
        self._timeout_seconds = timeout_seconds
        self._outbound = Outbound(
            max_answer_bytes=MAX_KEY_SET_BYTES, connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS
        )
        self._keys: Mapping[str, PublicKey] | None = None
        self._next_fetch_seconds = 0.0  # monotonic
        self._lock = threading.Lock()

    def key(self, key_id: str) -> PublicKey | None:
        """The key with this id, or None when the issuer does not publish it."""
        return self._current().get(key_id)

    def _current(self) -> Mapping[str, PublicKey]:
        keys = self._keys
        if keys is not None and self._clock.monotonic_seconds() < self._next_fetch_seconds:
            return keys
        # One fetch at a time; requests that waited find the fresh keys.
        with self._lock:
            now = self._clock.monotonic_seconds()
            if self._keys is not None and now < self._next_fetch_seconds:
                return self._keys
            return self._refresh(now)

    def _refresh(self, now: float) -> Mapping[str, PublicKey]:
        if self._keys is None and now < self._next_fetch_seconds:
            raise _keys_unavailable()
        try:
            keys, fresh_seconds = self._fetch()
        except KeyFetchFailed as error:
            self._log.emit(
                "WARNING" if self._keys is not None else "ERROR",
                f"public key refresh failed: {error}",
                key_url=self.url,
                serving_cached_keys=self._keys is not None,
            )
            if self._keys is None:
                self._next_fetch_seconds = now + RETRY_WITHOUT_KEYS_SECONDS
                raise _keys_unavailable() from None
            self._next_fetch_seconds = now + RETRY_AFTER_FAILURE_SECONDS
            return self._keys
        self._keys = keys
        self._next_fetch_seconds = now + fresh_seconds
        return keys

    def _fetch(self) -> tuple[Mapping[str, PublicKey], int]:
        # One deadline for the whole fetch, body included: a key server trickling bytes
        # must not hold this request, nor the others waiting for the key-cache lock.
        try:
            answer = self._outbound.call(
                "GET", self.url, deadline=time.monotonic() + self._timeout_seconds
            )
            if answer.status != 200:
                raise KeyFetchFailed(f"HTTP {answer.status}")
            document = answer.json_object()
        except OutboundError as error:
            raise KeyFetchFailed(str(error)) from None
        try:
            keys = self._parse(document)
        except Exception as error:  # noqa: BLE001 - a fetched document is untrusted input
            # Whatever breaks the parse (a wrong shape, a value of the wrong type), the key
            # set is unusable: keep the cached keys and wait, don't 500 each request.
            raise KeyFetchFailed(f"unusable key set ({type(error).__name__})") from None
        if not keys:
            raise KeyFetchFailed("the key set is empty")
        headers = answer.headers
        return keys, max_age_seconds(headers.get("Cache-Control"), headers.get("Age"))


def _keys_unavailable() -> Unavailable:
    return Unavailable(
        "cannot verify credentials right now; retry later",
        reason=reasons.KEYS_UNAVAILABLE,
        retry_after_seconds=RETRY_WITHOUT_KEYS_SECONDS,
    )


def parse_x509_map(document: Any) -> Mapping[str, PublicKey]:
    """Google's ``{key id: PEM certificate}`` format (Firebase and OAuth2 v1 certs).

    Each certificate is read once per fetch; one that cannot be read is skipped, so it
    cannot take the others down.
    """
    if not isinstance(document, dict):
        raise TypeError("expected a JSON object")
    keys: dict[str, PublicKey] = {}
    for kid, pem in document.items():
        if isinstance(kid, str) and isinstance(pem, str) and pem.startswith("-----BEGIN "):
            try:
                keys[kid] = x509.load_pem_x509_certificate(pem.encode()).public_key()
            except ValueError:
                continue
    return keys


def parse_jwks(document: Any) -> Mapping[str, PublicKey]:
    """The RSA signing keys of a JWKS (App Check's format), by key id."""
    keys: dict[str, PublicKey] = {}
    for entry in document["keys"]:
        if isinstance(entry, dict) and entry.get("kty") == "RSA" and entry.get("kid"):
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256").key
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue
    return keys
