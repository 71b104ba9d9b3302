"""A threaded HTTP server on 127.0.0.1 that runs in the background of a test."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gives up mid-request (tests of deadlines do so on purpose) is not
        # a failure of the fake; anything else still prints its traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    """Serves ``handler`` on a free loopback port from a background thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.connections = 0
        self._connected = threading.Condition()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def count_connection(self) -> None:
        with self._connected:
            self.connections += 1
            self._connected.notify_all()

    def wait_for_connections(self, count: int, timeout_seconds: float = 5.0) -> bool:
        """Whether ``count`` connections have been accepted, waiting up to the timeout."""
        with self._connected:
            return self._connected.wait_for(lambda: self.connections >= count, timeout_seconds)

    def serve_forever(self) -> None:
        # A short poll interval keeps shutdown (and so every test's teardown) fast.
        self._server.serve_forever(poll_interval=0.01)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive client's delayed
    # ACK stalls the body for ~40 ms, which real Google front ends never do.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.fake.count_connection()  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_json(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
