"""Every call tokenvend makes to another server, each bounded by one deadline and a size cap.

Gemini, Google's key servers, Firebase App Check and Firestore are all reached through
``Outbound``: a kept-alive connection pool with one rule for every call. The connect,
the request, the answer's head and its body share one total deadline: each read from
the socket waits at most for what is left of it, so an answer that trickles in a byte
at a time ends at the deadline too. The body is refused past ``max_answer_bytes``, and a
connection whose answer was not read to its end is closed, never reused. Whatever goes
wrong becomes one of the few ``OutboundError`` kinds below; each caller translates them
into its own errors, and none of their messages quotes what was sent or received.

Where an upstream needs Google credentials, ``GoogleCredentials`` finds Application
Default Credentials on first use and refreshes them through the same pool, inside the
same deadline; ``EmulatorCredentials`` sends the ``Bearer owner`` Google's emulators
accept, and looks for no credentials at all.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProtocolError, ReadTimeoutError

# What Google's emulators (Firestore's among them) accept in place of credentials.
EMULATOR_AUTHORIZATION = "Bearer owner"
# Token and metadata answers are a few kilobytes.
MAX_CREDENTIAL_ANSWER_BYTES = 64 * 1024
DEFAULT_CONNECT_TIMEOUT_SECONDS = 2.0


class OutboundError(Exception):
    """A call that did not end in a whole answer; the message says why, never what was sent."""


class Unreachable(OutboundError):
    """No connection could be made (refused, unresolvable, connect timeout): nothing was sent."""


class Broken(OutboundError):
    """The connection broke, or closed, before the whole answer came; a retry may pass."""


class TimedOut(OutboundError):
    """The deadline passed before the whole answer came."""


class TooLarge(OutboundError):
    """The answer is larger than the call accepts."""


class Unreadable(OutboundError):
    """The answer is not the JSON object it should be (nor JSON at all, or nested past reason)."""


class NoCredentials(OutboundError):
    """Google credentials could not be found or refreshed."""


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


class Authorization(Protocol):
    """Puts the credentials of a call into its headers, refreshing them through ``refresh``."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        """Adds the ``Authorization`` header; raises an OutboundError when it cannot."""
        ...


class Outbound:
    """One upstream's connection pool; ``call`` returns a whole answer or raises OutboundError."""

    def __init__(
        self,
        *,
        max_answer_bytes: int,
        connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        max_connections: int = 4,
        authorization: Authorization | None = None,
    ) -> None:
        self._max_answer_bytes = max_answer_bytes
        self._connect_timeout_seconds = connect_timeout_seconds
        self._authorization = authorization
        # Room for the upstream and, with credentials, the token and metadata servers.
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=max_connections, retries=False)
        self._pool.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def call(
        self,
        method: str,
        url: str,
        *,
        deadline: float,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Sends one request and reads its whole answer before ``deadline`` (time.monotonic)."""
        sent_headers = dict(headers or {})
        if self._authorization is not None:
            refresh = CredentialTransport(self, deadline)
            self._authorization.apply(sent_headers, method=method, url=url, refresh=refresh)
        return self._send(method, url, body, sent_headers, deadline, self._max_answer_bytes)

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        deadline: float,
        max_answer_bytes: int,
    ) -> Answer:
        """``call`` without credentials and with a cap of its own, as credentials are fetched."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut("the deadline passed before the call")
        timeout = urllib3.Timeout(
            connect=min(self._connect_timeout_seconds, remaining), read=remaining
        )
        _deadline.value = deadline
        try:
            response = self._pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout,
                preload_content=False,
                # The body is read as sent: nothing asked for an encoding, and decoding
                # would let a small compressed answer grow past the cap.
                decode_content=False,
                redirect=False,
            )
            data = _read_capped(response, max_answer_bytes)
        except (ReadTimeoutError, TimeoutError) as error:
            raise TimedOut("the answer did not arrive within the deadline") from error
        except ConnectTimeoutError as error:  # NewConnectionError is one too
            raise Unreachable(f"cannot connect ({type(error).__name__})") from error
        except ProtocolError as error:
            raise Broken("the connection broke before the whole answer came") from error
        except HTTPError as error:
            raise Broken(f"the call failed ({type(error).__name__})") from error
        finally:
            _deadline.value = None
        return Answer(response.status, response.headers, data)


def _read_capped(response: urllib3.BaseHTTPResponse, limit_bytes: int) -> bytes:
    """The whole body, refused once over ``limit_bytes``; the deadline is the socket's."""
    chunks: list[bytes] = []
    received = 0
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdecimal() and int(declared) > limit_bytes:
            raise TooLarge(f"the answer is declared larger than {limit_bytes} bytes")
        while chunk := response.read1(limit_bytes + 1 - received):
            received += len(chunk)
            if received > limit_bytes:
                raise TooLarge(f"the answer is larger than {limit_bytes} bytes")
            chunks.append(chunk)
    except BaseException:
        response.close()  # the unread rest must not reach the next call on this connection
        raise
    finally:
        response.release_conn()
    return b"".join(chunks)


# The deadline of the call the current thread is making, for the socket reads below.
_deadline = threading.local()


class _DeadlineReader(io.RawIOBase):
    """The socket as http.client reads it, every read waiting at most until the deadline."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed")
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # releases the socket file's hold on the socket
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading its head and body through a _DeadlineReader."""

    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: Any = None
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        deadline = getattr(_deadline, "value", None)
        if deadline is not None:
            # detach, not close: the socket file keeps the socket open while it is read,
            # even after http.client closes its connection (a "Connection: close" answer).
            raw = self.fp.detach()
            self.fp = io.BufferedReader(_DeadlineReader(raw, sock, deadline))


class _HTTPConnection(HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class CredentialTransport:
    """google-auth's transport for finding and refreshing credentials, inside a call's deadline.

    Failures reach google-auth as its ``TransportError`` (so it can tell, say, that no
    metadata server answers), except the deadline: that one is raised as TimedOut, which
    google-auth does not retry, so its own retries and back-off end with the call.
    """

    def __init__(self, outbound: Outbound, deadline: float) -> None:
        self._outbound = outbound
        self.deadline = deadline

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **_: Any,
    ) -> _CredentialAnswer:
        from google.auth.exceptions import TransportError

        deadline = self.deadline
        if timeout is not None:
            deadline = min(deadline, time.monotonic() + timeout)
        try:
            answer = self._outbound._send(
                method, url, body, headers or {}, deadline, MAX_CREDENTIAL_ANSWER_BYTES
            )
        except TimedOut:
            if time.monotonic() >= self.deadline:
                raise
            # google-auth's own, shorter timeout: it may retry within the deadline.
            raise TransportError("timed out") from None  # type: ignore[no-untyped-call]
        except OutboundError as error:
            raise TransportError(str(error)) from None  # type: ignore[no-untyped-call]
        return _CredentialAnswer(answer)


class _CredentialAnswer:
    """An Answer as google-auth's transport ``Response`` reads it."""

    def __init__(self, answer: Answer) -> None:
        self.status = answer.status
        self.headers = answer.headers
        self.data = answer.body


class GoogleCredentials:
    """Application Default Credentials for ``scopes``: found on first use, refreshed as they expire.

    One caller at a time finds or refreshes them; the others wait, each at most until
    its own deadline.
    """

    def __init__(self, scopes: Sequence[str]) -> None:
        self._scopes = list(scopes)
        self._credentials: Any = None
        self._lock = threading.Lock()

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        if not self._lock.acquire(timeout=max(0.0, refresh.deadline - time.monotonic())):
            raise TimedOut("the deadline passed while waiting for Google credentials")
        try:
            if self._credentials is None:
                # Imported here: only upstreams that need credentials load google-auth.
                import google.auth

                self._credentials, _ = google.auth.default(
                    scopes=self._scopes,
                    request=refresh,  # type: ignore[arg-type]  # google-auth's Request, in kind
                )
            self._credentials.before_request(refresh, method, url, headers)
        except OutboundError:
            raise
        except Exception as error:  # noqa: BLE001 - google-auth raises many kinds
            raise NoCredentials(f"no usable Google credentials ({type(error).__name__})") from None
        finally:
            self._lock.release()


class EmulatorCredentials:
    """What Google's emulators accept, ``Bearer owner``; no credentials are looked for."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        headers["Authorization"] = EMULATOR_AUTHORIZATION
