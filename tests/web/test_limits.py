"""The guarded body stream on its own: the cap, the declared end, the deadline, closing."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tokenvend.errors import BodyTooSlow, InvalidArgument
from tokenvend.web.limits import BodyLimits, GuardedBody, close_body
from tokenvend.web.read_deadlines import ReadDeadlines


def body(data: bytes, *, declared: int | None = None, chunked: bool = False) -> GuardedBody:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO(data)}
    if declared is not None:
        environ["CONTENT_LENGTH"] = str(declared)
    if chunked:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    return GuardedBody(environ, limit_bytes=8, deadline_seconds=5.0)


def test_a_body_yields_at_most_one_byte_past_the_limit() -> None:
    stream = body(b"x" * 100, chunked=True)
    assert stream.read() == b"x" * 9
    assert stream.read() == b""
    assert not stream.finished


def test_a_body_with_a_declared_length_ends_there_even_on_a_raw_socket_file() -> None:
    stream = body(b"{}GET / HTTP/1.1\r\n", declared=2)
    assert stream.read(100) == b"{}"
    assert stream.read() == b""
    assert stream.finished


def test_lines_are_read_within_the_same_limits() -> None:
    stream = body(b"ab\ncd\nefghijkl\n", chunked=True)
    assert list(stream) == [b"ab\n", b"cd\n", b"efg"]  # nine bytes: the limit and one


def test_a_closed_body_reads_as_ended() -> None:
    stream = body(b"{}", declared=2)
    stream.close()
    assert stream.read() == b"" and stream.readline() == b""
    assert not stream.finished


def test_a_body_past_its_deadline_is_too_slow() -> None:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO(b"{}"), "CONTENT_LENGTH": "2"}
    stream = GuardedBody(environ, limit_bytes=8, deadline_seconds=-1.0)
    with pytest.raises(BodyTooSlow):
        stream.read()
    assert stream.read() == b""


def test_a_request_without_a_body_keeps_its_connection() -> None:
    seen: list[list[tuple[str, str]]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        close_body(environ)
        start_response("204 No Content", [])
        return []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.append(headers)

    BodyLimits(app)({"wsgi.input": io.BytesIO(b""), "REQUEST_METHOD": "GET"}, start_response)
    BodyLimits(app)({"wsgi.input": io.BytesIO(b"{}"), "CONTENT_LENGTH": "2"}, start_response)
    assert seen == [[], [("Connection", "close")]]


class _Unparsable(io.RawIOBase):
    """A server's body stream that fails the way gunicorn's does on a bad chunk size."""

    def read(self, size: int = -1) -> bytes:
        raise ValueError("Invalid chunk size: b'-1'")  # any exception of the server's reader


def test_a_body_the_server_cannot_parse_is_a_400_and_is_not_read_again() -> None:
    environ: dict[str, Any] = {"wsgi.input": _Unparsable(), "HTTP_TRANSFER_ENCODING": "chunked"}
    stream = GuardedBody(environ, limit_bytes=8, deadline_seconds=5.0)
    with pytest.raises(InvalidArgument) as refused:
        stream.read()
    assert refused.value.http_status == 400
    assert refused.value.reason == "malformed_body"
    assert stream.read() == b""


def test_the_deadline_starts_at_the_first_read_not_when_the_request_came() -> None:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO(b"{}"), "CONTENT_LENGTH": "2"}
    stream = GuardedBody(environ, limit_bytes=8, deadline_seconds=0.2)
    threading.Event().wait(0.3)  # the caller checks, slower than the body's deadline
    assert stream.read() == b"{}"
    assert stream.finished


@pytest.fixture
def connected() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    with left, right:
        yield left, right


def test_a_read_still_waiting_at_its_deadline_is_ended(
    connected: tuple[socket.socket, socket.socket],
) -> None:
    server_side, client_side = connected
    client_side.sendall(b"{")  # and nothing more: the read waits for the rest
    deadlines = ReadDeadlines()
    watch = deadlines.watch(server_side, 0.0)  # already due
    assert server_side.recv(100) == b"{"
    assert server_side.recv(100) == b""  # ended by the shutdown, not by the client
    assert watch.expired


def test_a_released_body_is_never_cut_afterwards(
    connected: tuple[socket.socket, socket.socket],
) -> None:
    server_side, client_side = connected
    deadlines = ReadDeadlines()
    # Released at once, half a second before it is due.
    watch = deadlines.watch(server_side, time.monotonic() + 0.5)
    deadlines.release(watch)
    other_server_side, other_client_side = socket.socketpair()
    with other_server_side, other_client_side:
        # Due after the released one: once it is cut, the released one was passed over.
        deadlines.watch(other_server_side, time.monotonic() + 0.7)
        assert other_server_side.recv(100) == b""
    client_side.sendall(b"next request")
    assert server_side.recv(100) == b"next request"
    assert not watch.expired
