"""Who is asking: the result of a caller check, and the protocol every check follows.

Each check reads the request headers and either returns who the caller is, for the
decision log (and, with quotas, for counting), or raises Unauthenticated (no or bad
credential) or PermissionDenied (a valid credential the policy does not allow).

The decision log never holds a raw uid or email: ``subject_hash`` is an HMAC-SHA256 of
issuer and subject under a salt. The salt comes from the settings when set (the same
caller then hashes alike on every instance, so logs can be correlated), and is
otherwise random per instance (hashes then only group requests of one instance).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from werkzeug.datastructures import Headers


@dataclass(frozen=True)
class Caller:
    """A caller that passed the checks: its kind, and who it is where a check says so.

    ``subject`` is the verified issuer and subject (never logged); ``subject_hash`` is
    what the log shows.
    """

    kind: str
    subject: str | None = None
    subject_hash: str | None = None
    app_id: str | None = None


class CallerCheck(Protocol):
    """Checks a request's caller from its headers; every caller kind implements it."""

    def identify(self, headers: Headers) -> Caller:
        """Who is calling; raises Unauthenticated or PermissionDenied to refuse."""
        ...


class AppIdCheck(Protocol):
    """The App Check part of a request, checked before the caller kind when a policy asks for it."""

    def app_id(self, headers: Headers) -> str:
        """The verified App Check app id of a request; raises to refuse."""
        ...


class AnonymousCheck:
    """``callers: anonymous``: anyone who passed the origin check may mint."""

    def identify(self, headers: Headers) -> Caller:
        return Caller(kind="anonymous")


class AppCheckedCallers:
    """A caller check that also requires a valid App Check token (checked first)."""

    def __init__(self, callers: CallerCheck, app_check: AppIdCheck) -> None:
        self._callers = callers
        self._app_check = app_check

    def identify(self, headers: Headers) -> Caller:
        app_id = self._app_check.app_id(headers)
        caller = self._callers.identify(headers)
        return Caller(
            kind=caller.kind,
            subject=caller.subject,
            subject_hash=caller.subject_hash,
            app_id=app_id,
        )


class SubjectHasher:
    """A salted, truncated hash of a caller's subject, for the decision log."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt or secrets.token_bytes(32)

    def caller(self, kind: str, issuer: str, subject: str) -> Caller:
        """The Caller of a verified subject, with its hash for the log."""
        identity = f"{issuer}\n{subject}"
        digest = hmac.new(self._salt, identity.encode(), hashlib.sha256).hexdigest()[:24]
        return Caller(kind=kind, subject=identity, subject_hash=digest)
