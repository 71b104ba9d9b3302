"""The guarded body stream on its own: the cap, the declared end, and closing."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tokenvend.errors import BodyTooSlow
from tokenvend.web.limits import BodyLimits, GuardedBody, close_body


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
