"""One verification path for every signed token a caller sends.

Firebase ID tokens, Google ID tokens and App Check tokens are all RS256 JWTs signed by a
key Google publishes, chosen by the header's ``kid``. Each goes through the same steps:
the header must say RS256 (``alg: none``, or HS256 keyed with the public key, are the
classic forgeries) and name a current key; PyJWT checks the signature, the issuer and
the audience; then the time claims are checked here, alike for every kind, against the
instance's clock: ``exp``, ``iat``, ``nbf`` and ``auth_time`` must be finite numbers,
``exp`` in the future and the others not in it. A refusal carries one reason code from
one map, whichever kind refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any

import jwt

from tokenvend import reasons
from tokenvend.callers.public_keys import PublicKeys
from tokenvend.clock import Clock

CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_CHARS = 8192  # ID tokens are about 1 KB; custom claims add at most 1 KB
MAX_SUBJECT_CHARS = 255
TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")

# PyJWT's refusals -> reason codes; any other refusal means the token is malformed.
_PYJWT_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.InvalidAudienceError, reasons.WRONG_AUDIENCE),
    (jwt.InvalidIssuerError, reasons.WRONG_ISSUER),
    (jwt.InvalidSignatureError, reasons.BAD_SIGNATURE),
    (jwt.MissingRequiredClaimError, reasons.MISSING_CLAIM),
)

# Every reason code a token can be refused with, and the words the caller is told.
REASONS = {
    reasons.TOKEN_MALFORMED: "malformed",
    reasons.WRONG_ALGORITHM: "not signed with RS256",
    reasons.UNKNOWN_KEY: "not signed by a current key",
    reasons.BAD_SIGNATURE: "bad signature",
    reasons.WRONG_ISSUER: "from another issuer",
    reasons.WRONG_AUDIENCE: "for another audience",
    reasons.MISSING_CLAIM: "missing a required claim",
    reasons.BAD_TIME_CLAIM: "carrying a time claim that is not a number",
    reasons.TOKEN_EXPIRED: "expired",
    reasons.TOKEN_USED_TOO_EARLY: "not valid yet",
    reasons.BAD_AUTH_TIME: "without a valid auth_time",
    reasons.MISSING_SUBJECT: "without a subject",
}


class TokenRefused(Exception):
    """The token is not acceptable; ``reason`` is a code of ``REASONS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenVerifier:
    """Verifies tokens from ``issuers`` for one of ``audiences``, signed by ``keys``."""

    def __init__(
        self,
        keys: PublicKeys,
        *,
        issuers: frozenset[str],
        audiences: tuple[str, ...],
        clock: Clock,
        requires_auth_time: bool = False,
    ) -> None:
        self._keys = keys
        self._issuers = issuers
        self._audiences = audiences
        self._clock = clock
        self._requires_auth_time = requires_auth_time

    def verify(self, token: str) -> Mapping[str, Any]:
        """The claims of a valid token; raises TokenRefused otherwise."""
        key = self._signing_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=list(self._audiences),
                issuer=self._issuers,
                # Time is checked below, with the instance's clock and stricter types.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                },
            )
        except jwt.InvalidTokenError as error:
            reason = next((code for kind, code in _PYJWT_REASONS if isinstance(error, kind)), None)
            raise TokenRefused(reason or reasons.TOKEN_MALFORMED) from None
        except (ValueError, TypeError, RecursionError, OverflowError):
            raise TokenRefused(reasons.TOKEN_MALFORMED) from None
        self._check_times(claims)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_CHARS:
            raise TokenRefused(reasons.MISSING_SUBJECT)
        return claims

    def _signing_key(self, token: str) -> Any:
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise TokenRefused(reasons.TOKEN_MALFORMED)
        encoded = token.partition(".")[0]
        try:
            header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        # UnicodeDecodeError is a ValueError too; RecursionError: [[[[… nested past the stack.
        except (ValueError, binascii.Error, RecursionError):
            raise TokenRefused(reasons.TOKEN_MALFORMED) from None
        if not isinstance(header, dict):
            raise TokenRefused(reasons.TOKEN_MALFORMED)
        if header.get("alg") != "RS256":
            raise TokenRefused(reasons.WRONG_ALGORITHM)
        key_id = header.get("kid")
        key = self._keys.key(key_id) if isinstance(key_id, str) and key_id else None
        if key is None:
            raise TokenRefused(reasons.UNKNOWN_KEY)
        return key

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        for name in TIME_CLAIMS:
            # null counts as absent: PyJWT already refused a null exp or iat as missing.
            if claims.get(name) is not None and not _finite_number(claims[name]):
                raise TokenRefused(reasons.BAD_TIME_CLAIM)
        now = self._clock.now().timestamp()
        if claims["exp"] <= now - CLOCK_SKEW_SECONDS:
            raise TokenRefused(reasons.TOKEN_EXPIRED)
        if claims["iat"] > now + CLOCK_SKEW_SECONDS:
            raise TokenRefused(reasons.TOKEN_USED_TOO_EARLY)
        if claims.get("nbf", now) > now + CLOCK_SKEW_SECONDS:
            raise TokenRefused(reasons.TOKEN_USED_TOO_EARLY)
        auth_time = claims.get("auth_time")
        if self._requires_auth_time and (auth_time is None or auth_time > now + CLOCK_SKEW_SECONDS):
            raise TokenRefused(reasons.BAD_AUTH_TIME)


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
