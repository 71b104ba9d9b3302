"""What one request may cost on the wire: a capped, timed body, and no reading past it.

functions-framework reads the whole request body into memory after every response
(an ``after_request`` hook, so that returning early does not break the connection),
whatever the function answered, and gunicorn then drains what is left before it closes
or reuses the connection. A refused 32 MiB body would be read in full, and a body that
trickles in would hold a thread. Werkzeug's ``MAX_CONTENT_LENGTH`` does not help: the
framework's hook then raises, and every oversized request becomes a 500.

So a WSGI middleware sits in front of the framework's Flask app and replaces
``wsgi.input`` with a guarded stream: it yields at most ``limit_bytes + 1`` bytes (one
more than allowed, so the reader can tell "too large" from "exactly the limit"), the
whole body must arrive within about a second of the first read (``read_deadlines``
ends a read that is still waiting then: a 16 KiB body takes milliseconds on any real
connection, and the clock starts only when the function reads the body, after the
caller checks), a body the server cannot parse (a bad chunk size) is a 400, and once
the function has answered (``close_body``) it reads nothing more, so the framework's
hook returns at once. When a body was left unread, the response says
``Connection: close`` and the read side of the socket is shut down, so neither gunicorn
nor the development server waits for, or buffers, the rest.

The middleware is installed by wrapping ``app.wsgi_app``, Flask's documented place for
WSGI middleware; functions-framework imports ``main.py`` inside its app's context, which
is how ``guard_current_app`` finds the app without forking or patching the framework.

What comes before the body is out of reach here: gunicorn parses the request line and
headers before any WSGI code runs. functions-framework starts gunicorn with
``limit_request_line=0`` (unlimited) and takes no gunicorn options from anywhere (no
``gunicorn.conf.py``, no ``GUNICORN_CMD_ARGS``: its application class reads neither), and
Cloud Run starts the same ``functions-framework`` command, so those limits stay
gunicorn's: at most 100 header fields of 8190 bytes, and a request line bounded only by
what reaches the instance. Nor is there a deadline for the head: gunicorn waits for the
first byte of a request (its keep-alive time), but once a byte came it reads the rest
of the head for as long as the client takes, holding a thread. On Cloud Run the Google
front end terminates the client's connection and forwards the request over its own
(whether before it has the whole head is not documented); locally, ``make run``
listens on 127.0.0.1 only (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import flask

from tokenvend import reasons
from tokenvend.errors import BodyTooSlow, InvalidArgument
from tokenvend.web.body import MAX_BODY_BYTES
from tokenvend.web.read_deadlines import READ_DEADLINES, Watch

# From the first read of the body to its last byte.
BODY_DEADLINE_SECONDS = 1.0
_ENVIRON_KEY = "tokenvend.body"
# The sockets the WSGI servers we run under put in the environ.
_SOCKET_KEYS = ("gunicorn.socket", "werkzeug.socket")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class GuardedBody:
    """A request body stream that stops at a byte cap and a deadline."""

    def __init__(self, environ: Environ, *, limit_bytes: int, deadline_seconds: float) -> None:
        self._raw = environ["wsgi.input"]
        self._socket: socket.socket | None = next(
            (environ[key] for key in _SOCKET_KEYS if isinstance(environ.get(key), socket.socket)),
            None,
        )
        self._deadline_seconds = deadline_seconds
        self._deadline: float | None = None  # set by the first read
        self._watch: Watch | None = None
        self._chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared = _content_length(environ)
        self.expected = (declared is not None and declared > 0) or self._chunked
        # Without chunked encoding, the declared length is where this body ends, even when
        # the server hands over its raw socket file (the development server does).
        self._left = limit_bytes + 1
        if declared is not None and not self._chunked:
            self._left = min(self._left, declared)
            self._declared_rest = declared
        else:
            self._declared_rest = -1
        self.finished = not self.expected  # the whole body has been read
        self._closed = False

    def read(self, size: int | None = -1) -> bytes:
        if self._closed or self.finished or self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        if want == 0:
            return b""
        data = self._timed(lambda: self._raw.read(want))
        self._took(data, want)
        self._check_in_time()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if self._closed or self.finished or self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._timed(lambda: self._raw.readline(want))
        self._took(data, want)
        self._check_in_time()
        return data

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        """Nothing more is read: the function has answered."""
        self._stop()

    def _stop(self) -> None:
        self._closed = True
        if self._watch is not None:
            READ_DEADLINES.release(self._watch)

    def _timed(self, read: Callable[[], bytes]) -> bytes:
        if self._deadline is None:
            self._deadline = time.monotonic() + self._deadline_seconds
            if self._socket is not None:
                self._watch = READ_DEADLINES.watch(self._socket, self._deadline)
        if time.monotonic() >= self._deadline:
            self._stop()
            raise BodyTooSlow()
        try:
            data = bytes(read())
        except Exception as error:  # noqa: BLE001 - whatever the server's reader raises
            self._stop()
            expired = self._watch is not None and self._watch.expired
            if expired or isinstance(error, TimeoutError | ConnectionError):
                # The deadline ended the read, or the client is gone: nothing more comes.
                raise BodyTooSlow() from None
            # gunicorn's parse errors (a bad chunk size), the development server's
            # OSError: the body is not valid HTTP.
            raise InvalidArgument(
                "the request body is not valid HTTP (a bad chunk size?)",
                reason=reasons.MALFORMED_BODY,
            ) from None
        return data

    def _took(self, data: bytes, wanted: int) -> None:
        self._left -= len(data)
        if self._declared_rest >= 0:
            self._declared_rest -= len(data)
            if self._declared_rest == 0:
                self.finished = True
        if not data:
            # The server says the body ended: chunked bodies end so, and a short
            # Content-Length body means the client went away.
            self.finished = self._chunked or self._declared_rest == 0

    def _check_in_time(self) -> None:
        """After a read: a body the deadline cut short is a 408; a whole one is released."""
        if self.finished:
            self._stop()
        elif self._watch is not None and self._watch.expired:
            self._stop()
            raise BodyTooSlow()

    def stop_reading(self) -> None:
        """Shuts down the socket's read side: the unread rest is never waited for."""
        if self._socket is not None:
            with contextlib.suppress(OSError):  # the client closed it already
                self._socket.shutdown(socket.SHUT_RD)


def _content_length(environ: Environ) -> int | None:
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isascii() and text.isdecimal() else None


class BodyLimits:
    """WSGI middleware: every request body goes through a GuardedBody."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        limit_bytes: int = MAX_BODY_BYTES,
        deadline_seconds: float = BODY_DEADLINE_SECONDS,
    ) -> None:
        self.app = app
        self._limit_bytes = limit_bytes
        self._deadline_seconds = deadline_seconds

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = GuardedBody(
            environ, limit_bytes=self._limit_bytes, deadline_seconds=self._deadline_seconds
        )
        environ["wsgi.input"] = body
        # The guarded stream ends where the body ends (or where it stops), so Werkzeug may
        # read it as it is instead of wrapping it in a stream of its own.
        environ["wsgi.input_terminated"] = True
        environ[_ENVIRON_KEY] = body

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            body.close()
            if not body.finished:
                headers = _closing(start_response, headers)
                body.stop_reading()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _closing(
    start_response: StartResponse, headers: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The response headers, and the server told to close the connection after it.

    gunicorn drops the hop-by-hop headers an app sets, ``Connection`` among them, and
    writes its own from its response object (whose ``start_response`` this is), which
    has the switch for it. Other servers (the development server) honour the header.
    """
    server_response = getattr(start_response, "__self__", None)
    force_close = getattr(server_response, "force_close", None)
    if callable(force_close):
        force_close()
        return headers
    return [*(h for h in headers if h[0].lower() != "connection"), ("Connection", "close")]


def close_body(environ: Environ) -> None:
    """The function has answered: the rest of the body is not read, by anyone."""
    body = environ.get(_ENVIRON_KEY)
    if isinstance(body, GuardedBody):
        body.close()


def guard_current_app() -> None:
    """Puts BodyLimits in front of the Flask app functions-framework is building.

    functions-framework runs ``main.py`` inside its new app's context; outside one (a
    plain import) there is no app to guard.
    """
    if not flask.has_app_context():
        return
    app = flask.current_app
    if not isinstance(app.wsgi_app, BodyLimits):
        app.wsgi_app = BodyLimits(app.wsgi_app)  # type: ignore[method-assign]
