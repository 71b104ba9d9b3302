"""Request bodies on the wire: a real gunicorn process, raw sockets, the worker's memory.

functions-framework reads every request body in full after the response; these tests
send what an attacker would (huge bodies, bodies declared and never sent, bodies that
trickle in) and check that the answer comes at once, the worker does not buffer the
body, and a good request is served meanwhile. Bounds are generous: each one fails only
when the body is read to its end (which never comes, or takes the whole 32 MiB).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ALLOWED_ORIGIN
from tests.fakes.gemini import FakeGemini
from tests.process import FunctionProcess

pytestmark = pytest.mark.process

MIB = 1024 * 1024
HUGE = 32 * MIB
UNLISTED_ORIGIN = "https://attacker.example"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples" / "policies"
# Generous: each of these waits would be forever (or 32 MiB long) without the limits.
ANSWER_TIMEOUT_SECONDS = 20.0


@dataclass
class RawRequest:
    """One POST over a raw socket: the head at once, then the body as told."""

    port: int
    origin: str = ALLOWED_ORIGIN
    method: str = "POST"
    declared_bytes: int = 0
    extra_headers: str = ""
    sock: socket.socket = field(init=False)
    _rest: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.settimeout(ANSWER_TIMEOUT_SECONDS)
        head = (
            f"{self.method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {self.origin}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {self.declared_bytes}\r\n"
            f"{self.extra_headers}\r\n"
        )
        self.sock.sendall(head.encode())

    def send_until_answered(self) -> tuple[int, bytes]:
        """Sends the declared body while reading; returns (bytes sent, response head)."""
        answer: list[bytes] = []
        reader = threading.Thread(target=lambda: answer.append(self.response_head()))
        reader.start()
        sent, chunk = 0, b" " * 65536
        try:
            while sent < self.declared_bytes and not answer:
                sent += self.sock.send(chunk[: self.declared_bytes - sent])
        except OSError:
            pass  # the server closed its side after answering
        reader.join(ANSWER_TIMEOUT_SECONDS)
        return sent, answer[0] if answer else b""

    def response_head(self) -> bytes:
        """The head of the next response, its body read past; b"" if none came."""
        received, self._rest = self._rest, b""
        try:
            while b"\r\n\r\n" not in received:
                data = self.sock.recv(65536)
                if not data:
                    return received
                received += data
            head, _, body = received.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                data = self.sock.recv(65536)
                if not data:
                    break
                body += data
            self._rest = body[length:]
        except OSError:
            return received
        return head + b"\r\n\r\n"

    def close(self) -> None:
        self.sock.close()


def status_of(head: bytes) -> int:
    assert head.startswith(b"HTTP/1.1 "), head[:200]
    return int(head.split()[1])


def memory_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field_name} not in /proc/{pid}/status")


def serving(gemini: FakeGemini, **environment: str) -> dict[str, str]:
    """The environment of a function serving the default profile against the fake."""
    return {
        "TOKENVEND_PROFILE": "voice-assistant",
        "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
        "GEMINI_API_KEY": "AIzaSyFAKE-wire-limits-key-0123456789abc",
        **environment,
    }


@pytest.fixture
def function(gemini: FakeGemini) -> Iterator[FunctionProcess]:
    with FunctionProcess(serving(gemini), debug=False) as process:
        process.wait_until_listening()
        yield process


def good_request(port: int) -> int:
    request = RawRequest(port, declared_bytes=2)
    try:
        request.sock.sendall(b"{}")
        return status_of(request.response_head())
    finally:
        request.close()


def test_sixteen_refused_32_mib_bodies_are_answered_without_the_worker_buffering_them(
    function: FunctionProcess,
) -> None:
    worker = function.worker_pid()
    assert good_request(function.port) == 200
    peak_before = memory_mb(worker, "VmHWM")
    requests = [RawRequest(function.port, UNLISTED_ORIGIN, declared_bytes=HUGE) for _ in range(16)]
    results: list[tuple[int, bytes]] = []
    threads = [
        threading.Thread(target=lambda r=r: results.append(r.send_until_answered()))
        for r in requests
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for request in requests:
        request.close()
    assert [status_of(head) for _, head in results] == [403] * 16
    assert all(b"Connection: close" in head for _, head in results)
    # Each answer came while most of its body was still unsent.
    assert max(sent for sent, _ in results) < HUGE // 2
    # Reading the bodies in full raised the peak by over 200 MB.
    assert memory_mb(worker, "VmHWM") - peak_before < 64
    assert good_request(function.port) == 200


@pytest.mark.parametrize(
    ("origin", "method", "status"),
    [(UNLISTED_ORIGIN, "POST", 403), (ALLOWED_ORIGIN, "PUT", 405), (ALLOWED_ORIGIN, "POST", 413)],
    ids=["refused-origin", "wrong-method", "too-large"],
)
def test_a_declared_but_unsent_body_gets_its_answer_at_once_and_the_connection_closes(
    function: FunctionProcess, origin: str, method: str, status: int
) -> None:
    request = RawRequest(function.port, origin, method, declared_bytes=100_000_000)
    head = request.response_head()
    assert status_of(head) == status
    assert b"Connection: close" in head
    request.close()


def test_a_body_that_trickles_in_is_cut_off_with_408(function: FunctionProcess) -> None:
    request = RawRequest(function.port, declared_bytes=100)
    request.sock.sendall(b'{"options"')  # and nothing more
    head = request.response_head()
    assert status_of(head) == 408
    assert b"Connection: close" in head
    request.close()
    assert '"status": 408' in function.wait_for_line('"reason": "body_too_slow"')


def test_slow_refused_bodies_do_not_hold_the_threads_a_good_request_needs(
    function: FunctionProcess,
) -> None:
    # More stalled clients than the worker has threads (gunicorn's default: 4 per core).
    stalled = [RawRequest(function.port, UNLISTED_ORIGIN, declared_bytes=MIB) for _ in range(16)]
    for request in stalled:
        request.sock.sendall(b"{")
    assert [status_of(request.response_head()) for request in stalled] == [403] * 16
    assert good_request(function.port) == 200
    for request in stalled:
        request.close()


def test_a_refused_credential_is_answered_without_reading_the_body(
    gemini: FakeGemini,
) -> None:
    environment = serving(
        gemini, TOKENVEND_PROFILE="firebase-members", TOKENVEND_POLICY_DIR=str(EXAMPLES)
    )
    with FunctionProcess(environment, debug=False) as function:
        function.wait_until_listening()
        request = RawRequest(function.port, "https://app.example.com", declared_bytes=100_000_000)
        head = request.response_head()
        request.close()
    assert status_of(head) == 401
    assert b"Connection: close" in head


def test_a_body_read_to_its_end_keeps_the_connection_for_the_next_request(
    function: FunctionProcess,
) -> None:
    request = RawRequest(function.port, declared_bytes=2)
    request.sock.sendall(b"{}")
    first = request.response_head()
    assert status_of(first) == 200
    assert b"Connection: close" not in first
    request.sock.sendall(
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ALLOWED_ORIGIN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".encode()
    )
    assert status_of(request.response_head()) == 200
    request.close()


def trickle_until_answered(request: RawRequest, declared: int) -> tuple[bytes, bool]:
    """Sends the declared body a byte every 50 ms; (response head, whether the server
    closed the connection after it)."""
    answer: list[bytes] = []
    reader = threading.Thread(target=lambda: answer.append(request.response_head()))
    reader.start()
    try:
        for _ in range(declared):
            if answer:
                break
            request.sock.sendall(b" ")
            threading.Event().wait(0.05)  # paces the trickle; it synchronises nothing
    except OSError:
        pass  # the server closed its side after answering
    reader.join(ANSWER_TIMEOUT_SECONDS)
    try:
        closed = request.sock.recv(1) == b""
    except OSError:
        closed = True
    return (answer[0] if answer else b""), closed


def test_a_body_that_keeps_trickling_is_cut_off_with_408_and_the_connection_closed(
    function: FunctionProcess,
) -> None:
    # A byte every 50 ms: each socket read gets one, so only a total deadline stops it.
    request = RawRequest(function.port, declared_bytes=1000)
    head, closed = trickle_until_answered(request, 1000)
    request.close()
    assert status_of(head) == 408
    assert closed
    assert '"status": 408' in function.wait_for_line('"reason": "body_too_slow"')


def test_sixteen_trickling_bodies_do_not_starve_sixteen_threads(gemini: FakeGemini) -> None:
    with FunctionProcess(serving(gemini, THREADS="16"), debug=False) as function:
        function.wait_until_listening()
        slow = [RawRequest(function.port, declared_bytes=1000) for _ in range(16)]
        results: list[tuple[bytes, bool]] = []
        threads = [
            threading.Thread(target=lambda r=r: results.append(trickle_until_answered(r, 1000)))
            for r in slow
        ]
        for thread in threads:
            thread.start()
        # Every thread of the worker is reading a trickle now, or soon; a good request
        # still gets its token, as soon as the first of them is cut off.
        assert good_request(function.port) == 200
        for thread in threads:
            thread.join()
        for request in slow:
            request.close()
    assert [status_of(head) for head, _ in results] == [408] * 16


CHUNKED = "Transfer-Encoding: chunked\r\n"


@pytest.mark.parametrize(
    ("debug", "size"),
    [
        (False, b"-1"),
        (False, b"0x2"),
        (False, b"zz"),
        # The development server reads "0x2" as Python's int(..., 16) does: as 2.
        (True, b"-1"),
        (True, b"zz"),
    ],
    ids=["gunicorn-negative", "gunicorn-0x", "gunicorn-not-hex", "debug-negative", "debug-not-hex"],
)
def test_a_chunk_of_a_bad_size_is_a_400_without_a_traceback(
    gemini: FakeGemini, size: bytes, debug: bool
) -> None:
    with FunctionProcess(serving(gemini), debug=debug) as function:
        function.wait_until_listening()
        with socket.create_connection(("127.0.0.1", function.port)) as sock:
            sock.settimeout(ANSWER_TIMEOUT_SECONDS)
            sock.sendall(
                f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ALLOWED_ORIGIN}\r\n"
                f"Content-Type: application/json\r\n{CHUNKED}\r\n".encode()
                + size
                + b"\r\n{}\r\n0\r\n\r\n"
            )
            head = sock.recv(65536)
        line = function.wait_for_line('"reason": ')
    assert status_of(head) == 400, head
    assert '"reason": "malformed_body"' in line
    assert "Traceback" not in function.output and "stack_trace" not in function.output
