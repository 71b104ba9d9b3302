"""Who is asking: the caller checks a policy's ``access.callers`` asks for.

Each check reads the request headers and either returns who the caller is, for the
decision log, or raises Unauthenticated (no or bad credential) or PermissionDenied
(a valid credential the policy does not allow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from werkzeug.datastructures import Headers

from tokenvend.policy import Access


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


def caller_check_for(access: Access) -> CallerCheck:
    return AnonymousCheck()
