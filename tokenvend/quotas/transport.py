"""One HTTP exchange with Firestore's REST API: one total deadline, a size cap, JSON back.

Every wait of a call (connect, sending, the status line, each header, each piece of
the body) ends at one deadline fixed when the call starts, so an answer trickled a
byte at a time cannot hold a request past it; an answer larger than
``MAX_ANSWER_BYTES`` is refused unread. ``http.client`` on a small pool of kept-alive
connections does the HTTP: each connected socket is wrapped so that every read and
write waits only for what is left of the deadline.

This is the quota engine's only HTTP code and is meant to be swapped for the shared
outbound-HTTP client: ``FirestoreStore`` sees only ``call``.
"""

from __future__ import annotations

import http.client
import io
import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tokenvend.errors import QuotaStoreUnavailable

# A batchGet of every shard of a profile is the largest answer: a few hundred bytes each.
MAX_ANSWER_BYTES = 256 * 1024
POOL_SIZE = 8
# Front ends close idle connections after a while; a reused one older than this may
# already be closed at the far end, so it is dropped instead.
IDLE_SECONDS = 30.0

# Given the call's deadline (time.monotonic), the value of its Authorization header.
Authorizer = Callable[[float], str]


@dataclass(frozen=True)
class Reply:
    """Firestore's HTTP status and its parsed JSON body (None when the body was empty)."""

    status: int
    body: Any


class FirestoreTransport:
    """Calls ``base_url`` (``https://firestore.googleapis.com/v1`` or an emulator's)."""

    def __init__(self, base_url: str, *, deadline_seconds: float, authorizer: Authorizer) -> None:
        url = urlsplit(base_url)
        self._prefix = url.path.rstrip("/")
        self._deadline_seconds = deadline_seconds
        self._authorizer = authorizer
        host = url.hostname or ""
        if url.scheme == "https":
            self._pool = _Pool(lambda: _TlsConnection(host, url.port or 443))
        else:
            self._pool = _Pool(lambda: _Connection(host, url.port or 80))

    def call(self, method: str, path: str, body: Any = None, *, repeatable: bool) -> Reply:
        """One exchange; ``repeatable`` calls are sent again once if a kept-alive
        connection turns out to be closed before anything came back."""
        deadline = time.monotonic() + self._deadline_seconds
        headers = {"Authorization": self._authorizer(deadline)}
        payload = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        target = f"{self._prefix}/{path}"
        for attempt in (1, 2):
            connection = self._pool.get()
            connection.deadline = deadline
            try:
                status, data = _exchange(connection, method, target, payload, headers)
            except _StaleConnection:
                connection.close()
                if attempt == 1 and repeatable:
                    continue
                raise QuotaStoreUnavailable("Firestore closed the connection") from None
            except BaseException:
                connection.close()
                raise
            self._pool.put(connection)
            return Reply(status, _parsed(data))
        raise AssertionError("unreachable")


class _StaleConnection(Exception):
    """A kept-alive connection the far end had closed: nothing was answered."""


def _exchange(
    connection: _Connection,
    method: str,
    target: str,
    payload: bytes | None,
    headers: dict[str, str],
) -> tuple[int, bytes]:
    reused = connection.sock is not None
    try:
        connection.request(method, target, body=payload, headers=headers)
        response = connection.getresponse()
        declared = response.getheader("Content-Length", "")
        if declared.isdecimal() and int(declared) > MAX_ANSWER_BYTES:
            raise QuotaStoreUnavailable("Firestore's answer is too large")
        data = response.read(MAX_ANSWER_BYTES + 1)
    except TimeoutError:
        raise QuotaStoreUnavailable("Firestore did not answer in time", busy=True) from None
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        if reused:
            raise _StaleConnection() from None
        raise QuotaStoreUnavailable("Firestore closed the connection") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise QuotaStoreUnavailable(f"Firestore unreachable: {type(error).__name__}") from None
    if len(data) > MAX_ANSWER_BYTES:
        raise QuotaStoreUnavailable("Firestore's answer is too large")
    if response.will_close or not response.isclosed():
        connection.reusable = False
    return response.status, data


def _parsed(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        # RecursionError: [[[[… nested past the stack is not an answer either.
        raise QuotaStoreUnavailable("Firestore answered with something not JSON") from None


class _DeadlineSocket:
    """A connected socket whose every read and write ends at its connection's deadline."""

    def __init__(self, sock: socket.socket, connection: _Connection) -> None:
        self._sock = sock
        self._connection = connection

    def _arm(self) -> None:
        left = self._connection.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the call's deadline has passed")
        self._sock.settimeout(left)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        # http.client reads the answer through this file: every read comes back here.
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        """SocketIO calls this on close; the socket itself is closed with the connection."""

    def close(self) -> None:
        self._sock.close()


class _Connection(http.client.HTTPConnection):
    """A connection whose connect waits only for what is left of ``deadline``."""

    deadline = math.inf
    reusable = True

    def connect(self) -> None:
        self.timeout = max(self.deadline - time.monotonic(), 0.001)
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self)


class _TlsConnection(_Connection, http.client.HTTPSConnection):
    """The same over TLS (Firestore itself); the handshake shares the deadline."""


class _Pool:
    """Idle kept-alive connections, the most recent first; a forked worker starts empty."""

    def __init__(self, connect: Callable[[], _Connection]) -> None:
        self._connect = connect
        self._idle: list[tuple[float, _Connection]] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def get(self) -> _Connection:
        now = time.monotonic()
        with self._lock:
            if self._pid != os.getpid():
                # gunicorn forked this worker: the parent's sockets are not ours to use.
                self._idle.clear()
                self._pid = os.getpid()
            while self._idle:
                since, connection = self._idle.pop()
                if now - since < IDLE_SECONDS:
                    return connection
                connection.close()
        return self._connect()

    def put(self, connection: _Connection) -> None:
        if connection.reusable:
            with self._lock:
                if len(self._idle) < POOL_SIZE:
                    self._idle.append((time.monotonic(), connection))
                    return
        connection.close()
