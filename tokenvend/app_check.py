"""Firebase App Check: ``X-Firebase-AppCheck: <JWT>``, required in addition to callers.

App Check tokens are RS256 JWTs whose keys Google publishes as a JWKS. PyJWT turns each
published key into a public key once per fetch and checks the signature, ``exp`` and
``iat`` with a small skew, the issuer ``https://firebaseappcheck.googleapis.com/<project
number>`` and an audience that contains ``projects/<project number>``. The subject is
the app id, which the policy must list. This module is imported only by profiles that
use App Check, so no other profile pays for importing PyJWT at cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from werkzeug.datastructures import Headers

from tokenvend.errors import PermissionDenied, Unauthenticated
from tokenvend.jwt_header import CLOCK_SKEW_SECONDS, KeyRefused, signing_key
from tokenvend.policy_access import AppCheck
from tokenvend.public_keys import PublicKeys

HEADER = "X-Firebase-AppCheck"
ISSUER = "https://firebaseappcheck.googleapis.com/"

_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "used_too_early"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
)


def parse_jwks(document: Any) -> Mapping[str, jwt.PyJWK]:
    """The RSA signing keys of a JWKS, by key id; keys of other kinds are skipped."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if isinstance(entry, dict) and entry.get("kty") == "RSA" and entry.get("kid"):
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue  # one unusable key must not take the others down
    return keys


class AppCheckVerifier:
    """Verifies the App Check header against the policy's project and apps."""

    def __init__(self, rules: AppCheck, keys: PublicKeys[jwt.PyJWK]) -> None:
        self._rules = rules
        self._keys = keys
        self._issuer = ISSUER + rules.project_number
        self._audience = f"projects/{rules.project_number}"

    def app_id(self, headers: Headers) -> str:
        """The verified app id of the request; raises 401 or 403 to refuse."""
        token = headers.get(HEADER, "").strip()
        if not token:
            raise Unauthenticated(f"send an App Check token as {HEADER}",
                                  reason="app_check_missing")  # fmt: skip
        try:
            key = signing_key(token, self._keys)
        except KeyRefused as refused:
            raise _invalid(refused.reason) from None
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            reason = next((code for kind, code in _REASONS if isinstance(error, kind)), "malformed")
            raise _invalid(reason) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _invalid("missing_subject")
        if subject not in self._rules.app_ids:
            raise PermissionDenied("this app may not use this service", reason="app_not_allowed")
        return subject


def _invalid(reason: str) -> Unauthenticated:
    return Unauthenticated(
        f"App Check token is invalid ({reason.replace('_', ' ')})", reason=f"app_check_{reason}"
    )
