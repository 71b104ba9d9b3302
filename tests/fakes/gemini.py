"""A fake of Gemini's ``POST /v1alpha/auth_tokens`` that records what it was sent.

Tell it how to answer the next requests with ``answer(...)``: a token (the default),
an HTTP error, a 200 with garbage, a connection reset mid-response, or silence until
the server stops. Run it alone with ``python -m tests.fakes.gemini --port 8081`` to
try ``make run`` without a real key.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import LoopbackServer, QuietHandler


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    kind: str  # token | status | garbage | reset | hang | trickle
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


TOKEN = Answer("token")
GARBAGE = Answer("garbage")
RESET = Answer("reset")
HANG = Answer("hang")
TRICKLE = Answer("trickle")  # a 200 whose body comes a byte at a time until released


def status(code: int, message: str = "error", headers: dict[str, str] | None = None) -> Answer:
    body = json.dumps({"error": {"code": code, "message": message, "status": "X"}}).encode()
    return Answer("status", code, body, headers or {})


class FakeGemini(LoopbackServer):
    """``record_requests=False`` only counts requests and mints names it does not keep, so
    a long load run (the bench) stays flat in memory."""

    def __init__(self, port: int = 0, *, record_requests: bool = True) -> None:
        super().__init__(_Handler, port)
        self.requests: list[Recorded] = []
        self.minted: list[str] = []
        self.request_count = 0
        self._record_requests = record_requests
        self._answers: deque[Answer] = deque()
        self._released = threading.Event()
        self._record_lock = threading.Lock()

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests like this, in order; then mint tokens again."""
        self._answers.extend(answers)

    def next_answer(self) -> Answer:
        try:
            return self._answers.popleft()
        except IndexError:
            return TOKEN

    def record(self, request: Recorded) -> None:
        with self._record_lock:
            self.request_count += 1
            if self._record_requests:
                self.requests.append(request)

    def new_token(self) -> str:
        name = f"auth_tokens/{secrets.token_hex(16)}"
        if self._record_requests:
            with self._record_lock:
                self.minted.append(name)
        return name

    def wait_released(self) -> None:
        self._released.wait()

    def wait_released_for(self, seconds: float) -> bool:
        return self._released.wait(seconds)

    def stop(self) -> None:
        self._released.set()
        super().stop()


class _Handler(QuietHandler):
    server_fake: FakeGemini

    def do_POST(self) -> None:  # noqa: N802
        fake: FakeGemini = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        fake.record(Recorded(self.path, dict(self.headers.items()), body))
        answer = fake.next_answer()
        if self.path not in ("/v1alpha/auth_tokens", "/v1beta/auth_tokens"):
            self.send_json(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')
        elif answer.kind == "token":
            self.send_json(200, json.dumps({"name": fake.new_token()}).encode())
        elif answer.kind == "status":
            self.send_json(answer.status, answer.body, answer.headers)
        elif answer.kind == "garbage":
            self.send_json(200, b"<html>not json</html>")
        elif answer.kind == "reset":
            self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n{"na')
            self.wfile.flush()
            # SO_LINGER with a zero timeout makes close() send RST, not FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif answer.kind == "hang":
            fake.wait_released()
            self.close_connection = True
        elif answer.kind == "trickle":
            body = json.dumps({"name": fake.new_token()}).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
            for byte in body:
                # Paces the bytes (it synchronises nothing): each read gets one byte.
                if fake.wait_released_for(0.05):
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            self.close_connection = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8081)
    port = parser.parse_args().port
    server = FakeGemini(port)
    print(f"fake Gemini on {server.url}: TOKENVEND_GEMINI_ENDPOINT={server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
