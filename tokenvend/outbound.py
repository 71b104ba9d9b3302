"""Every call tokenvend makes to another server, each bounded by one deadline and a size cap.

Gemini, Google's key servers, Firebase App Check and Firestore are all reached through
``Outbound``: a small pool of kept-alive ``http.client`` connections per host, with one
rule for every call. The connect, the request, the answer's head and its body share one
total deadline: each read from the socket waits at most for what is left of it
(``settimeout`` before every read), so an answer that trickles in a byte at a time ends
at the deadline too. The body is refused past ``max_answer_bytes``, and a connection
whose answer was not read to its end is closed, never reused. Whatever goes wrong
becomes one of the few ``OutboundError`` kinds below; each caller translates them into
its own errors, and none of their messages quotes what was sent or received.

The pool hands each connection to one thread at a time, drops connections idle for
longer than front ends keep them, and one the far end has already closed; a worker
forked by gunicorn starts with an empty pool, never with its parent's sockets. It is
``http.client`` rather than urllib3 because the per-call work is what a token costs in
CPU (docs/performance.md has the numbers).

Where an upstream needs Google credentials, ``GoogleCredentials`` finds Application
Default Credentials on first use and refreshes them through the same pool, inside the
same deadline; ``EmulatorCredentials`` sends the ``Bearer owner`` Google's emulators
accept, and looks for no credentials at all.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

# What Google's emulators (Firestore's among them) accept in place of credentials.
EMULATOR_AUTHORIZATION = "Bearer owner"
# Token and metadata answers are a few kilobytes.
MAX_CREDENTIAL_ANSWER_BYTES = 64 * 1024
DEFAULT_CONNECT_TIMEOUT_SECONDS = 2.0
# Google's front ends close a kept-alive connection after some idle minutes, a load
# balancer sooner; one idle longer than this is dropped rather than risked.
IDLE_SECONDS = 30.0
# The far end hung up before a byte of the answer came: on a kept-alive connection,
# most likely it had closed the idle connection as the request went out.
_CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


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


class Authorization(Protocol):
    """Puts the credentials of a call into its headers, refreshing them through ``refresh``."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        """Adds the ``Authorization`` header; raises an OutboundError when it cannot."""
        ...


class Outbound:
    """One upstream's connection pools; ``call`` returns a whole answer or raises OutboundError."""

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
        self._max_connections = max_connections
        self._authorization = authorization
        # One pool per scheme, host and port: the upstream and, with credentials, the
        # token and metadata servers.
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._pools_lock = threading.Lock()

    def call(
        self,
        method: str,
        url: str,
        *,
        deadline: float,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = False,
    ) -> Answer:
        """Sends one request and reads its whole answer before ``deadline`` (time.monotonic).

        A ``repeatable`` call is sent once more, on a new connection, when a kept-alive
        one turns out to be closed before anything came back; any other is Closed then.
        """
        sent_headers = dict(headers) if headers else {}
        if self._authorization is not None:
            refresh = CredentialTransport(self, deadline)
            self._authorization.apply(sent_headers, method=method, url=url, refresh=refresh)
        return self._send(
            method, url, body, sent_headers, deadline, self._max_answer_bytes, repeatable
        )

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        deadline: float,
        max_answer_bytes: int,
        repeatable: bool = False,
    ) -> Answer:
        """``call`` without credentials and with a cap of its own, as credentials are fetched."""
        pool, target = self._pool_for(url)
        for attempt in (1, 2):
            if deadline - time.monotonic() <= 0:
                raise TimedOut("the deadline passed before the call")
            connection = pool.get()
            reused = connection.sock is not None
            connection.deadline = deadline
            try:
                answer = _exchange(connection, method, target, body, headers, max_answer_bytes)
            except Closed:
                connection.close()
                if reused and repeatable and attempt == 1:
                    continue
                raise
            except BaseException:
                connection.close()  # the unread rest must not reach the next call
                raise
            pool.put(connection)
            return answer
        raise AssertionError("unreachable")

    def _pool_for(self, url: str) -> tuple[_Pool, str]:
        scheme, _, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        target = slash + path or "/"
        key = (scheme, authority)
        pool = self._pools.get(key)
        if pool is None:
            with self._pools_lock:
                pool = self._pools.get(key) or self._new_pool(url)
                self._pools[key] = pool
        return pool, target

    def _new_pool(self, url: str) -> _Pool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Unreachable("not an http or https URL", "InvalidURL")
        host, port = parts.hostname, parts.port
        timeout = self._connect_timeout_seconds
        if parts.scheme == "https":
            # One context per upstream: building one loads the system's CA certificates.
            context = ssl.create_default_context()

            def connect() -> _Connection:
                return _TlsConnection(
                    host, port or 443, connect_timeout_seconds=timeout, context=context
                )

        else:

            def connect() -> _Connection:
                return _Connection(host, port or 80, connect_timeout_seconds=timeout)

        return _Pool(connect, self._max_connections)


def _exchange(
    connection: _Connection,
    method: str,
    target: str,
    body: bytes | None,
    headers: Mapping[str, str],
    limit_bytes: int,
) -> Answer:
    """One request and its whole answer on ``connection``; raises OutboundError."""
    if connection.sock is None:
        connection.open()
    started_answer = False
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        started_answer = True
        declared = response.getheader("Content-Length", "")
        if declared.isascii() and declared.isdecimal() and int(declared) > limit_bytes:
            raise TooLarge(f"the answer is declared larger than {limit_bytes} bytes")
        # Read as sent: nothing asked for an encoding, so nothing is decoded either. A
        # length http.client goes by (not one beside chunks) is read whole; anything
        # else only up to one byte past the cap.
        known = response.length is not None and response.length <= limit_bytes
        data = response.read() if known else response.read(limit_bytes + 1)
    except TimeoutError as error:
        raise TimedOut("the answer did not arrive within the deadline") from error
    except _CLOSED as error:
        if started_answer:
            raise Broken("the connection broke before the whole answer came") from error
        raise Closed("the far end closed the connection", type(error).__name__) from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        # ValueError: http.client's answer to a chunk size that is not a number.
        name = type(error).__name__
        raise Broken(f"the call failed ({name})", name) from error
    if len(data) > limit_bytes:
        raise TooLarge(f"the answer is larger than {limit_bytes} bytes")
    if response.will_close or not response.isclosed():
        connection.reusable = False
    return Answer(response.status, cast(Mapping[str, str], response.headers), data)


class _DeadlineSocket:
    """A connected socket whose every read and write waits only until its connection's deadline.

    Like a socket, it stays open while a file made from it is open: http.client closes
    the connection of a ``Connection: close`` answer before reading its body.
    """

    def __init__(self, sock: socket.socket, connection: _Connection) -> None:
        self._sock = sock
        self._connection = connection
        self._files = 0
        self._closed = False

    def _arm(self) -> None:
        left = self._connection.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self._sock.settimeout(left)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        # http.client reads the answer through this file: every read comes back here.
        self._files += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        """SocketIO calls this as its file closes."""
        self._files -= 1
        if self._closed and self._files <= 0:
            self._sock.close()

    def dropped(self) -> bool:
        """Whether an idle connection has something to read: the far end's close, or junk."""
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self._sock.close()


class _Connection(http.client.HTTPConnection):
    """A connection whose connect waits at most its connect timeout and what is left of
    ``deadline``; its socket then waits per read and write only until the deadline."""

    deadline = 0.0
    reusable = True

    def __init__(
        self, host: str, port: int, *, connect_timeout_seconds: float, **tls: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, **tls)  # type: ignore[arg-type]  # context, over TLS
        self._connect_timeout_seconds = connect_timeout_seconds

    def open(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimedOut("the deadline passed before the call")
        self.timeout = min(self._connect_timeout_seconds, left)
        try:
            self.connect()
        except OSError as error:  # refused, unresolvable, timed out, TLS refused
            self.close()
            name = type(error).__name__
            raise Unreachable(f"cannot connect ({name})", name) from error

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self)

    def dropped(self) -> bool:
        return not isinstance(self.sock, _DeadlineSocket) or self.sock.dropped()


class _TlsConnection(_Connection, http.client.HTTPSConnection):
    """The same over TLS (every Google API); the handshake is part of the connect."""


class _Pool:
    """One host's idle kept-alive connections, the most recent first.

    A forked worker starts empty: the parent's sockets are not its own to use.
    """

    def __init__(self, connect: Any, max_idle: int) -> None:
        self._connect = connect
        self._max_idle = max_idle
        self._idle: list[tuple[float, _Connection]] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        _POOLS.add(self)

    def forget(self) -> None:
        """In a forked child: a fresh lock (another thread may have held it), no sockets."""
        self._lock = threading.Lock()
        self._idle = []  # dropped, not closed: the parent may still use them
        self._pid = os.getpid()

    def get(self) -> _Connection:
        now = time.monotonic()
        while True:
            with self._lock:
                if self._pid != os.getpid():  # forked without the hook below (os.fork only)
                    self._idle = []
                    self._pid = os.getpid()
                if not self._idle:
                    break
                since, connection = self._idle.pop()
            if now - since < IDLE_SECONDS and not connection.dropped():
                return connection
            connection.close()
        connection = self._connect()
        return cast(_Connection, connection)

    def put(self, connection: _Connection) -> None:
        if connection.reusable and connection.sock is not None:
            with self._lock:
                if self._pid == os.getpid() and len(self._idle) < self._max_idle:
                    self._idle.append((time.monotonic(), connection))
                    return
        connection.close()


_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()


def _forget_pools_in_child() -> None:
    for pool in list(_POOLS):
        pool.forget()


os.register_at_fork(after_in_child=_forget_pools_in_child)


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
            raise CredentialsTimedOut("the deadline passed while waiting for Google credentials")
        try:
            if self._credentials is None:
                # Imported here: only upstreams that need credentials load google-auth.
                import google.auth

                self._credentials, _ = google.auth.default(
                    scopes=self._scopes,
                    request=refresh,  # type: ignore[arg-type]  # google-auth's Request, in kind
                )
            self._credentials.before_request(refresh, method, url, headers)
        except TimedOut as error:
            message = "the deadline passed while refreshing Google credentials"
            raise CredentialsTimedOut(message) from error
        except OutboundError:
            raise
        except Exception as error:  # noqa: BLE001 - google-auth raises many kinds
            name = type(error).__name__
            raise NoCredentials(f"no usable Google credentials ({name})", name) from None
        finally:
            self._lock.release()


class EmulatorCredentials:
    """What Google's emulators accept, ``Bearer owner``; no credentials are looked for."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        headers["Authorization"] = EMULATOR_AUTHORIZATION
