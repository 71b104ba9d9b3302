"""Firebase Auth and Google ID tokens: ``Authorization: Bearer <JWT>``.

Both are verified by the one verifier (``verifier.py``) with the issuer and audience the
policy implies; Firebase tokens must also carry an ``auth_time``. Then the policy's
rules on the email apply. Public messages say what is wrong with the credential, never
what is in it; ``reason`` is the code for the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers

from tokenvend import reasons
from tokenvend.callers.caller import Caller, SubjectHasher
from tokenvend.callers.public_keys import PublicKeys
from tokenvend.callers.verifier import REASONS, TokenRefused, TokenVerifier
from tokenvend.clock import Clock
from tokenvend.errors import PermissionDenied, Unauthenticated
from tokenvend.policy.access import FirebaseCallers, GoogleCallers

FIREBASE_ISSUER = "https://securetoken.google.com/"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})


def bearer_token(headers: Headers, what: str) -> str:
    """The token of ``Authorization: Bearer <token>``; 401 when there is none."""
    scheme, _, token = headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            f"send {what} as Authorization: Bearer <token>", reason=reasons.CREDENTIAL_MISSING
        )
    return token


def bearer_claims(headers: Headers, verifier: TokenVerifier, what: str) -> Mapping[str, Any]:
    """The verified claims of the request's bearer token; 401 when there are none."""
    token = bearer_token(headers, f"a {what}")
    try:
        return verifier.verify(token)
    except TokenRefused as refusal:
        raise refused(what, refusal) from None


def refused(what: str, refusal: TokenRefused, reason: str | None = None) -> Unauthenticated:
    """The 401 of a refused token: the words of its reason, never the token's content.

    ``reason`` is the code to log, when it is not the refusal's own.
    """
    return Unauthenticated(
        f"{what} is invalid ({REASONS[refusal.reason]})", reason=reason or refusal.reason
    )


def check_email(
    claims: Mapping[str, Any],
    *,
    require_verified: bool,
    allowed_emails: frozenset[str],
    allowed_email_domains: frozenset[str] = frozenset(),
    allowed_hosted_domains: frozenset[str] = frozenset(),
) -> None:
    """The policy's email rules; a caller matching any allow-list passes (403 if none)."""
    lists = bool(allowed_emails or allowed_email_domains or allowed_hosted_domains)
    # An unverified address is one anybody can type in; every rule on it needs it verified.
    if (require_verified or lists) and claims.get("email_verified") is not True:
        raise PermissionDenied(
            "a verified email address is required", reason=reasons.EMAIL_NOT_VERIFIED
        )
    if not lists:
        return
    email = claims.get("email")
    email = email.lower() if isinstance(email, str) else ""
    if email in allowed_emails or email.rpartition("@")[2] in allowed_email_domains:
        return
    hosted_domain = claims.get("hd")
    if isinstance(hosted_domain, str) and hosted_domain in allowed_hosted_domains:
        return
    only_domains = allowed_hosted_domains and not (allowed_emails or allowed_email_domains)
    reason = reasons.DOMAIN_NOT_ALLOWED if only_domains else reasons.EMAIL_NOT_ALLOWED
    raise PermissionDenied("this account may not use this service", reason=reason)


class FirebaseCheck:
    """``callers: {firebase: ...}``: a Firebase Auth ID token of one project."""

    what = "Firebase ID token"

    def __init__(
        self, rules: FirebaseCallers, keys: PublicKeys, hasher: SubjectHasher, clock: Clock
    ) -> None:
        self._rules = rules
        self._hasher = hasher
        self._issuer = FIREBASE_ISSUER + rules.project_id
        self._verifier = TokenVerifier(
            keys,
            issuers=frozenset({self._issuer}),
            audiences=(rules.project_id,),
            clock=clock,
            requires_auth_time=True,
        )

    def identify(self, headers: Headers) -> Caller:
        claims = bearer_claims(headers, self._verifier, self.what)
        check_email(
            claims,
            require_verified=self._rules.require_email_verified,
            allowed_emails=self._rules.allowed_emails,
            allowed_email_domains=self._rules.allowed_email_domains,
        )
        return self._hasher.caller("firebase", self._issuer, claims["sub"])


class GoogleCheck:
    """``callers: {google: ...}``: a Google-signed OpenID Connect ID token."""

    what = "Google ID token"

    def __init__(
        self, rules: GoogleCallers, keys: PublicKeys, hasher: SubjectHasher, clock: Clock
    ) -> None:
        self._rules = rules
        self._hasher = hasher
        self._verifier = TokenVerifier(
            keys, issuers=GOOGLE_ISSUERS, audiences=rules.audiences, clock=clock
        )

    def identify(self, headers: Headers) -> Caller:
        claims = bearer_claims(headers, self._verifier, self.what)
        check_email(
            claims,
            require_verified=False,
            allowed_emails=self._rules.allowed_emails,
            allowed_hosted_domains=self._rules.allowed_domains,
        )
        return self._hasher.caller("google", "google", claims["sub"])
