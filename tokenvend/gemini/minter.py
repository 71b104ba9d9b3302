"""Sends the token request to Gemini and translates what comes back.

One kept-alive pool per instance (``tokenvend.outbound``) keeps the TLS connection to
Gemini warm. Each call has one deadline, its retry included; within it a connection
failure or a 5xx is retried once after a short jittered pause, and a timeout is not
retried, because the first request may still mint a token.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tokenvend import reasons
from tokenvend.errors import (
    BadGateway,
    DeadlineExceeded,
    ResourceExhausted,
    TokenvendError,
    Unavailable,
)
from tokenvend.gemini.api_key import usable_as_api_key
from tokenvend.gemini.request import auth_tokens_url, encode_body
from tokenvend.logs import StructuredLog
from tokenvend.outbound import (
    Answer,
    Broken,
    Outbound,
    OutboundError,
    TimedOut,
    TooLarge,
    Unreachable,
    Unreadable,
)
from tokenvend.redaction import redact

# A token answer is under a hundred bytes; anything this large is not one.
MAX_RESPONSE_BYTES = 64 * 1024
# The longest wait passed on to a browser: an hour is already a long time to wait.
MAX_RETRY_AFTER_SECONDS = 3600
# The Live API's WebSocket method for sessions opened with an ephemeral token.
LIVE_METHOD = "GenerativeService.BidiGenerateContentConstrained"


@dataclass(frozen=True)
class MintedToken:
    """Gemini's answer: the token's ``auth_tokens/...`` name, and how long the call took."""

    name: str
    upstream_ms: float


class TokenMinter(Protocol):
    """The one call to Gemini a token costs, as the vendor sees it."""

    def mint(self, api_key: str, body: Mapping[str, Any] | bytes) -> MintedToken:
        """POST ``body`` (or its bytes, already encoded) to ``auth_tokens``; raises a
        TokenvendError on any failure."""
        ...


def websocket_url(endpoint: str, api_version: str) -> str:
    """The Live API WebSocket URL that belongs to a REST endpoint and API version."""
    scheme, _, rest = endpoint.rstrip("/").partition("://")
    ws_scheme = "ws" if scheme == "http" else "wss"
    return f"{ws_scheme}://{rest}/ws/google.ai.generativelanguage.{api_version}.{LIVE_METHOD}"


class _RetryableFailure(Exception):
    """A failure worth one more attempt; carries the error to raise if none is left."""

    def __init__(self, error: TokenvendError) -> None:
        super().__init__(error.reason)
        self.error = error


class GeminiTokenMinter:
    """Mints over HTTP within one deadline, retrying once what may pass on a second try.

    Failed connects, connections reset mid-answer and 5xx answers are retried; 4xx, 429
    and read timeouts are not. The API key never reaches the log, not even inside
    Gemini's error message.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        api_version: str,
        log: StructuredLog,
        deadline_seconds: float,
        connect_timeout_seconds: float = 2.0,
        retry_pause_seconds: float = 0.2,
    ) -> None:
        self.url = auth_tokens_url(endpoint, api_version)
        self._log = log
        self._deadline_seconds = deadline_seconds
        self._retry_pause_seconds = retry_pause_seconds
        self._outbound = Outbound(
            max_answer_bytes=MAX_RESPONSE_BYTES,
            connect_timeout_seconds=connect_timeout_seconds,
            max_idle_connections=32,
        )

    def mint(self, api_key: str, body: Mapping[str, Any] | bytes) -> MintedToken:
        if not usable_as_api_key(api_key):
            # http.client would refuse the header with the key in its message, and that
            # message would reach the log as a stack trace.
            self._log.emit(
                "ERROR",
                "the API key holds characters an HTTP header cannot carry "
                "(line breaks, spaces or non-ASCII)",
            )
            raise Unavailable(reason=reasons.API_KEY_MALFORMED)
        payload = body if isinstance(body, bytes) else encode_body(body)
        headers = {"x-goog-api-key": api_key, "Content-Type": "application/json"}
        started = time.monotonic()
        deadline = started + self._deadline_seconds
        for attempt in (1, 2):
            try:
                name = self._attempt(payload, headers, deadline, api_key)
                return MintedToken(name=name, upstream_ms=(time.monotonic() - started) * 1000)
            except _RetryableFailure as failure:
                pause = self._retry_pause_seconds * (0.5 + random.random())  # noqa: S311
                if attempt == 2 or time.monotonic() + pause >= deadline:
                    raise failure.error from failure.__cause__
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _attempt(
        self, payload: bytes, headers: dict[str, str], deadline: float, api_key: str
    ) -> str:
        try:
            answer = self._outbound.call(
                "POST", self.url, body=payload, headers=headers, deadline=deadline
            )
        except TimedOut as error:
            raise DeadlineExceeded() from error
        except Unreachable as error:
            raise _RetryableFailure(Unavailable(reason=reasons.UPSTREAM_UNREACHABLE)) from error
        except TooLarge as error:
            raise BadGateway(reason=reasons.UPSTREAM_TOO_LARGE) from error
        except Broken as error:  # reset or closed mid-answer
            raise _RetryableFailure(BadGateway(reason=reasons.UPSTREAM_BROKEN)) from error
        except OutboundError as error:
            raise BadGateway(reason=reasons.UPSTREAM_BROKEN) from error
        return self._read(answer, api_key)

    def _read(self, answer: Answer, api_key: str) -> str:
        status = answer.status
        if status == 200:
            try:
                name = answer.json_object().get("name")
            except Unreadable as error:
                raise BadGateway(reason=reasons.UPSTREAM_UNREADABLE) from error
            if not isinstance(name, str) or not name.startswith("auth_tokens/"):
                raise BadGateway(reason=reasons.UPSTREAM_UNREADABLE)
            return name
        self._log_upstream_error(status, answer, api_key)
        if status == 429:
            raise ResourceExhausted(retry_after_seconds=_retry_after(answer))
        if status >= 500:
            raise _RetryableFailure(BadGateway(reason=reasons.upstream_status(status)))
        raise BadGateway(reason=reasons.upstream_status(status))

    def _log_upstream_error(self, status: int, answer: Answer, api_key: str) -> None:
        # Operators need Gemini's own words ("API key not valid"), the browser never does.
        detail = answer.google_error()
        # Redact before cutting, so no part of a key at the cut survives.
        self._log.emit(
            "WARNING",
            "Gemini refused the token request",
            upstream_status=status,
            upstream_error=redact(detail, api_key)[:300],
        )


def _retry_after(answer: Answer) -> int | None:
    """Gemini's ``Retry-After`` in seconds, bounded; None (our default) when unusable.

    An HTTP date, a negative number or thousands of digits (``int()`` refuses over 4300)
    are not worth passing on: the browser gets our default instead.
    """
    value = answer.headers.get("Retry-After", "").strip()
    if not (value.isascii() and value.isdecimal() and len(value) <= 6):
        return None
    return min(int(value), MAX_RETRY_AFTER_SECONDS)
