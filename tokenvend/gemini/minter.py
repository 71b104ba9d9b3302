"""Sends the token request to Gemini and translates what comes back.

One urllib3 pool per instance keeps the TLS connection to Gemini warm (``requests``
adds measurable latency on top of the same pool). Each call has a deadline; within it
a connection failure or a 5xx is retried once after a short jittered pause, and a read
timeout is not retried, because the first request may still mint a token.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from tokenvend import reasons
from tokenvend.errors import (
    BadGateway,
    DeadlineExceeded,
    ResourceExhausted,
    TokenvendError,
    Unavailable,
)
from tokenvend.logs import StructuredLog
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

    def mint(self, api_key: str, body: Mapping[str, Any]) -> MintedToken:
        """POST ``body`` to ``auth_tokens``; raises a TokenvendError on any failure."""
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
        self.url = f"{endpoint.rstrip('/')}/{api_version}/auth_tokens"
        self._log = log
        self._connect_timeout_seconds = connect_timeout_seconds
        self._deadline_seconds = deadline_seconds
        self._retry_pause_seconds = retry_pause_seconds
        self._pool = urllib3.PoolManager(num_pools=2, maxsize=32, retries=False)

    def mint(self, api_key: str, body: Mapping[str, Any]) -> MintedToken:
        if not usable_as_api_key(api_key):
            # http.client would refuse the header with the key in its message, and that
            # message would reach the log as a stack trace.
            self._log.emit(
                "ERROR",
                "the API key holds characters an HTTP header cannot carry "
                "(line breaks, spaces or non-ASCII)",
            )
            raise Unavailable(reason=reasons.API_KEY_MALFORMED)
        # allow_nan=False: NaN is not JSON, and Gemini would refuse every request.
        payload = json.dumps(
            body, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()
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
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded()
        timeout = urllib3.Timeout(
            connect=min(self._connect_timeout_seconds, remaining),
            read=remaining,
        )
        try:
            response = self._pool.request(
                "POST",
                self.url,
                body=payload,
                headers=headers,
                timeout=timeout,
                preload_content=False,
            )
            data = _read_within(response, deadline)
        except ReadTimeoutError as error:
            raise DeadlineExceeded() from error
        except (NewConnectionError, ConnectTimeoutError) as error:
            raise _RetryableFailure(Unavailable(reason=reasons.UPSTREAM_UNREACHABLE)) from error
        except ProtocolError as error:  # reset or closed mid-response
            raise _RetryableFailure(BadGateway(reason=reasons.UPSTREAM_BROKEN)) from error
        except HTTPError as error:
            raise BadGateway(reason=reasons.UPSTREAM_BROKEN) from error
        return self._read(response, data, api_key)

    def _read(self, response: urllib3.BaseHTTPResponse, data: bytes, api_key: str) -> str:
        status = response.status
        if status == 200:
            try:
                name = json.loads(data)["name"]
            except (ValueError, KeyError, TypeError, RecursionError) as error:
                # RecursionError: [[[[… nested past the stack is not a token either.
                raise BadGateway(reason=reasons.UPSTREAM_UNREADABLE) from error
            if not isinstance(name, str) or not name.startswith("auth_tokens/"):
                raise BadGateway(reason=reasons.UPSTREAM_UNREADABLE)
            return name
        self._log_upstream_error(status, data, api_key)
        if status == 429:
            raise ResourceExhausted(retry_after_seconds=_retry_after(response))
        if status >= 500:
            raise _RetryableFailure(BadGateway(reason=reasons.upstream_status(status)))
        raise BadGateway(reason=reasons.upstream_status(status))

    def _log_upstream_error(self, status: int, data: bytes, api_key: str) -> None:
        # Operators need Gemini's own words ("API key not valid"), the browser never does.
        try:
            error = json.loads(data).get("error", {})
            detail = f"{error.get('status', '')}: {error.get('message', '')}"
        except (ValueError, AttributeError, RecursionError):
            detail = "unreadable error body"
        # Redact before cutting, so no part of a key at the cut survives.
        self._log.emit(
            "WARNING",
            "Gemini refused the token request",
            upstream_status=status,
            upstream_error=redact(detail, api_key)[:300],
        )


def usable_as_api_key(value: str) -> bool:
    """Whether ``value`` can travel in an HTTP header as it is: printable ASCII, no spaces."""
    return bool(value) and value.isascii() and value.isprintable() and " " not in value


def _read_within(response: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
    """The whole body, or DeadlineExceeded: a server trickling bytes must not outlast it.

    Each read waits at most the read timeout; the deadline is checked between reads.
    """
    chunks: list[bytes] = []
    received = 0
    try:
        while chunk := response.read1(MAX_RESPONSE_BYTES):
            received += len(chunk)
            if received > MAX_RESPONSE_BYTES:
                raise BadGateway(reason=reasons.UPSTREAM_TOO_LARGE)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise DeadlineExceeded()
    except BaseException:
        response.close()  # the unread rest must not reach the next request on this connection
        raise
    finally:
        response.release_conn()
    return b"".join(chunks)


def _retry_after(response: urllib3.BaseHTTPResponse) -> int | None:
    """Gemini's ``Retry-After`` in seconds, bounded; None (our default) when unusable.

    An HTTP date, a negative number or thousands of digits (``int()`` refuses over 4300)
    are not worth passing on: the browser gets our default instead.
    """
    value = response.headers.get("Retry-After", "").strip()
    if not (value.isascii() and value.isdecimal() and len(value) <= 6):
        return None
    return min(int(value), MAX_RETRY_AFTER_SECONDS)
