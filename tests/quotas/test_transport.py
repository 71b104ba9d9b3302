"""The Firestore transport: one total deadline, a size cap, untrusted bytes back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.server import LoopbackServer, QuietHandler
from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.outbound import EmulatorCredentials
from tokenvend.quotas.transport import MAX_ANSWER_BYTES, FirestoreTransport

DEADLINE_SECONDS = 0.5
# Far longer than the deadline: a call that ends before this did not wait for the server.
SLOW_SERVER_SECONDS = 30.0

Script = Callable[[QuietHandler, threading.Event], None]


class ScriptedServer(LoopbackServer):
    """Answers each request with the next script: raw bytes, pauses, closed sockets."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.scripts: list[Script] = []
        self.released = threading.Event()

    def stop(self) -> None:
        self.released.set()
        super().stop()


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        server: ScriptedServer = self.server.fake  # type: ignore[attr-defined]
        script = server.scripts.pop(0) if server.scripts else _ok
        script(self, server.released)

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self.do_POST()


def _ok(handler: QuietHandler, _released: threading.Event) -> None:
    handler.send_json(200, b'{"ok": true}')


def _trickle(prefix: bytes, rest: bytes) -> Script:
    def script(handler: QuietHandler, released: threading.Event) -> None:
        handler.wfile.write(prefix)
        handler.wfile.flush()
        for byte in rest:
            if released.wait(SLOW_SERVER_SECONDS / len(rest)):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return script


def _raw(data: bytes, *, close: bool = False) -> Script:
    def script(handler: QuietHandler, _released: threading.Event) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.close_connection = close

    return script


def _hang_up(handler: QuietHandler, _released: threading.Event) -> None:
    handler.close_connection = True


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def transport_for(server: ScriptedServer) -> FirestoreTransport:
    return FirestoreTransport(
        f"{server.url}/v1", deadline_seconds=DEADLINE_SECONDS, authorization=EmulatorCredentials()
    )


def timed_failure(call: Callable[[], object]) -> tuple[QuotaStoreUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(QuotaStoreUnavailable) as failed:
        call()
    return failed.value, time.monotonic() - started


@pytest.mark.parametrize(
    "script",
    [
        _trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\n\r\n", b"[" * 600),
        _trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 600 + b"\r\n\r\n"),
        _trickle(b"", b"HTTP/1.1 200 OK\r\n" * 40),
    ],
    ids=["body", "headers", "status-line"],
)
def test_an_answer_trickled_a_byte_at_a_time_ends_at_the_one_deadline(
    server: ScriptedServer, script: Script
) -> None:
    server.scripts.append(script)
    failure, seconds = timed_failure(
        lambda: transport_for(server).call("POST", "x", {}, repeatable=True)
    )
    assert failure.detail == "Firestore did not answer in time"
    assert failure.busy
    assert seconds < SLOW_SERVER_SECONDS / 3


def test_an_answer_declared_larger_than_the_cap_is_refused_unread(server: ScriptedServer) -> None:
    declared = f"HTTP/1.1 200 OK\r\nContent-Length: {10**12}\r\n\r\n".encode()
    server.scripts.append(_raw(declared + b"[" * 1000))
    failure, _ = timed_failure(lambda: transport_for(server).call("GET", "x", repeatable=True))
    assert failure.detail == "Firestore's answer is too large"
    assert not failure.busy


def test_a_chunked_answer_growing_past_the_cap_is_refused(server: ScriptedServer) -> None:
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    server.scripts.append(_raw(head + chunk * (MAX_ANSWER_BYTES // (64 * 1024) + 2)))
    failure, _ = timed_failure(lambda: transport_for(server).call("GET", "x", repeatable=True))
    assert failure.detail == "Firestore's answer is too large"


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (b"[" * 100_000, "Firestore answered with something not JSON"),
        (b"<html>busy</html>", "Firestore answered with something not JSON"),
    ],
)
def test_an_answer_that_is_not_json_is_store_unavailable(
    server: ScriptedServer, answer: bytes, detail: str
) -> None:
    server.scripts.append(lambda handler, _r: handler.send_json(200, answer))
    failure, _ = timed_failure(lambda: transport_for(server).call("GET", "x", repeatable=True))
    assert failure.detail == detail


def test_a_broken_chunk_size_is_store_unavailable(server: ScriptedServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    server.scripts.append(_raw(head + b"-1\r\nxx\r\n0\r\n\r\n", close=True))
    failure, _ = timed_failure(lambda: transport_for(server).call("GET", "x", repeatable=True))
    assert failure.detail.startswith("Firestore unreachable")


def test_a_kept_alive_connection_serves_the_next_call(server: ScriptedServer) -> None:
    transport = transport_for(server)
    for _ in range(5):
        assert transport.call("POST", "x", {"n": 1}, repeatable=True).body == {"ok": True}
    assert server.connections == 1


def test_a_connection_closed_while_idle_is_retried_once_only_when_repeatable(
    server: ScriptedServer,
) -> None:
    transport = transport_for(server)
    transport.call("POST", "x", {}, repeatable=True)
    server.scripts.append(_hang_up)
    assert transport.call("POST", "x", {}, repeatable=True).body == {"ok": True}
    assert server.connections == 2
    # A give-back sent twice would count twice: it is not sent again.
    server.scripts.append(_hang_up)
    failure, _ = timed_failure(lambda: transport.call("POST", "x", {}, repeatable=False))
    assert failure.detail == "Firestore closed the connection"


def test_an_unreachable_store_fails_at_once_and_is_not_busy() -> None:
    with ScriptedServer() as closed:
        url = closed.url
    transport = FirestoreTransport(
        f"{url}/v1", deadline_seconds=DEADLINE_SECONDS, authorization=EmulatorCredentials()
    )
    failure, _ = timed_failure(lambda: transport.call("GET", "x", repeatable=True))
    assert failure.detail == "Firestore unreachable: ConnectionRefusedError"
    assert not failure.busy
