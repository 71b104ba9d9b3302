"""Firebase Auth and Google ID tokens: ``Authorization: Bearer <JWT>``.

Both are RS256 JWTs signed by Google. google-auth checks the signature against the
issuer's current certificates, ``iat`` and ``exp`` with a small skew, and the audience;
this module adds what google-auth's helpers leave out: RS256 only, the issuer (its
Firebase helper does not check it), a non-empty subject, Firebase's ``auth_time``, and
then the policy's rules on the email. Public messages say what is wrong with the
credential, never what is in it; ``reason`` is the code for the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.auth import jwt
from werkzeug.datastructures import Headers

from tokenvend.callers import Caller, SubjectHasher
from tokenvend.clock import Clock
from tokenvend.errors import PermissionDenied, Unauthenticated
from tokenvend.jwt_header import CLOCK_SKEW_SECONDS, KeyRefused, signing_key
from tokenvend.policy_access import FirebaseCallers, GoogleCallers
from tokenvend.public_keys import PublicKeys

FIREBASE_ISSUER = "https://securetoken.google.com/"
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})

_REASONS = (  # google-auth's messages -> log reasons; anything else is malformed
    ("Token expired", "token_expired"),
    ("Token used too early", "token_used_too_early"),
    ("wrong audience", "wrong_audience"),
    ("Could not verify token signature", "bad_signature"),
)
_KEY_REFUSALS = {  # jwt_header's reasons -> what the caller is told, and the log reason
    "malformed": ("is malformed", "token_malformed"),
    "wrong_algorithm": ("must be signed with RS256", "wrong_algorithm"),
    "unknown_key": ("is not signed by a current key", "unknown_key"),
}


def bearer_token(headers: Headers, what: str) -> str:
    """The token of ``Authorization: Bearer <token>``; 401 when there is none."""
    scheme, _, token = headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(f"send {what} as Authorization: Bearer <token>",
                              reason="credential_missing")  # fmt: skip
    return token


def verify_rs256(
    token: str, keys: PublicKeys[str], audiences: list[str], what: str
) -> Mapping[str, Any]:
    """Claims of a token signed with one of ``keys`` for one of ``audiences``."""
    try:
        certificate = signing_key(token, keys)
    except KeyRefused as refused:
        problem, reason = _KEY_REFUSALS[refused.reason]
        raise Unauthenticated(f"{what} {problem}", reason=reason) from None
    try:
        claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
            token, certs=certificate, audience=audiences, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
        )
    except (ValueError, TypeError, RecursionError) as error:
        # The library's messages quote the token; only the reason code leaves here.
        reason = next((code for text, code in _REASONS if text in str(error)), "token_malformed")
        raise Unauthenticated(f"{what} is invalid ({reason.replace('_', ' ')})",
                              reason=reason) from None  # fmt: skip
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise Unauthenticated(f"{what} has no subject", reason="missing_subject")
    return claims


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
        raise PermissionDenied("a verified email address is required",
                               reason="email_not_verified")  # fmt: skip
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
    reason = "domain_not_allowed" if only_domains else "email_not_allowed"
    raise PermissionDenied("this account may not use this service", reason=reason)


class FirebaseCheck:
    """``callers: {firebase: ...}``: a Firebase Auth ID token of one project."""

    def __init__(
        self, rules: FirebaseCallers, keys: PublicKeys[str], hasher: SubjectHasher, clock: Clock
    ) -> None:
        self._rules = rules
        self._keys = keys
        self._hasher = hasher
        self._clock = clock
        self._issuer = FIREBASE_ISSUER + rules.project_id

    def identify(self, headers: Headers) -> Caller:
        what = "Firebase ID token"
        token = bearer_token(headers, "a Firebase ID token")
        claims = verify_rs256(token, self._keys, [self._rules.project_id], what)
        if claims.get("iss") != self._issuer:
            raise Unauthenticated(f"{what} is from another issuer", reason="wrong_issuer")
        auth_time = claims.get("auth_time")
        now = self._clock.now().timestamp()
        if (
            not isinstance(auth_time, (int, float))
            or isinstance(auth_time, bool)
            or (auth_time > now + CLOCK_SKEW_SECONDS)
        ):
            raise Unauthenticated(f"{what} has no valid auth_time", reason="bad_auth_time")
        rules = self._rules
        check_email(
            claims,
            require_verified=rules.require_email_verified,
            allowed_emails=rules.allowed_emails,
            allowed_email_domains=rules.allowed_email_domains,
        )
        return Caller(kind="firebase", subject_hash=self._hasher.hash(self._issuer, claims["sub"]))


class GoogleCheck:
    """``callers: {google: ...}``: a Google-signed OpenID Connect ID token."""

    def __init__(self, rules: GoogleCallers, keys: PublicKeys[str], hasher: SubjectHasher) -> None:
        self._rules = rules
        self._keys = keys
        self._hasher = hasher

    def identify(self, headers: Headers) -> Caller:
        what = "Google ID token"
        token = bearer_token(headers, "a Google ID token")
        claims = verify_rs256(token, self._keys, list(self._rules.audiences), what)
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in GOOGLE_ISSUERS:
            raise Unauthenticated(f"{what} is from another issuer", reason="wrong_issuer")
        check_email(
            claims,
            require_verified=False,
            allowed_emails=self._rules.allowed_emails,
            allowed_hosted_domains=self._rules.allowed_domains,
        )
        return Caller(kind="google", subject_hash=self._hasher.hash("google", claims["sub"]))
