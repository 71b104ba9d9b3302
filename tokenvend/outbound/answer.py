"""What a call comes back with: a whole ``Answer``, or one of the few ``OutboundError`` kinds.

Whatever goes wrong on the way becomes one of these errors; each caller translates them
into its own, and none of their messages quotes what was sent or received.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class OutboundError(Exception):
    """A call that did not end in a whole answer; the message says why, never what was sent.

    ``cause`` names the kind of the underlying failure (``ConnectionRefusedError``), for
    a log line: a class name, never a value.
    """

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or type(self).__name__


class Unreachable(OutboundError):
    """No connection could be made (refused, unresolvable, connect timeout): nothing was sent."""


class Broken(OutboundError):
    """The connection broke, or closed, before the whole answer came; a retry may pass."""


class Closed(Broken):
    """The far end closed the connection before a byte of the answer came."""


class TimedOut(OutboundError):
    """The deadline passed before the whole answer came."""


class TooLarge(OutboundError):
    """The answer is larger than the call accepts."""


class Unreadable(OutboundError):
    """The answer is not the JSON object it should be (nor JSON at all, or nested past reason)."""


class NoCredentials(OutboundError):
    """Google credentials could not be found or refreshed."""


class CredentialsTimedOut(NoCredentials, TimedOut):
    """The deadline passed while Google credentials were found or refreshed."""


@dataclass(frozen=True)
class Answer:
    """A whole answer: its status, headers (case-insensitive) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; Unreadable when it is anything else."""
        try:
            document = json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: [[[[… nested past the stack
            raise Unreadable("the answer is not JSON") from None
        if not isinstance(document, dict):
            raise Unreadable("the answer is not a JSON object")
        return document

    def google_error(self) -> str:
        """``STATUS: message`` of Google's error shape, for a log line; its parts may be missing."""
        try:
            error = self.json_object().get("error")
        except Unreadable:
            return "an error answer that is not JSON"
        if not isinstance(error, dict):
            return "an error answer without Google's error shape"
        said = [error.get(part) for part in ("status", "message")]
        return ": ".join(part for part in said if isinstance(part, str) and part) or "no message"
