"""One kept-alive ``http.client`` connection, and one exchange on it, inside one deadline.

The connect, the request, the answer's head and its body share one total deadline:
each read from the socket waits at most for what is left of it (``settimeout`` before
every read), so an answer that trickles in a byte at a time ends at the deadline too.
The body is refused past the call's cap, and a connection whose answer was not read to
its end is closed, never reused.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any, cast

from tokenvend.outbound.answer import Answer, Broken, Closed, TimedOut, TooLarge, Unreachable

# The far end hung up before a byte of the answer came: on a kept-alive connection,
# most likely it had closed the idle connection as the request went out.
_CLOSED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
# Anything on an idle connection means it cannot be reused: data, a hang-up, an error.
_READABLE_OR_GONE = select.POLLIN | select.POLLERR | select.POLLHUP | select.POLLNVAL


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
        # poll, not select: select refuses a descriptor at or past FD_SETSIZE (1024), and a
        # busy worker's sockets get there.
        poller = select.poll()
        try:
            poller.register(self._sock, _READABLE_OR_GONE)
            return bool(poller.poll(0))
        except (OSError, ValueError):  # ValueError: a closed socket's descriptor is -1
            return True

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
