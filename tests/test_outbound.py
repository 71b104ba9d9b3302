"""The one way tokenvend calls out: a total deadline, a size cap, credentials in the deadline.

Every upstream (Gemini, the key servers, App Check, Firestore) is reached through
``tokenvend.outbound``; these tests hold it to its contract against loopback servers
that answer as told: whole, trickled (head or body), oversized, reset, or not at all.
Google credentials come from a real service-account file whose token endpoint is a
loopback server, so google-auth itself finds and refreshes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.fakes.keys import signing_key
from tests.fakes.server import LoopbackServer, QuietHandler
from tokenvend.outbound import (
    Broken,
    EmulatorCredentials,
    GoogleCredentials,
    NoCredentials,
    Outbound,
    TimedOut,
    TooLarge,
    Unreachable,
    Unreadable,
)

Behaviour = Callable[["_Scripted"], None]
# Generous: each of these waits would be minutes long without the deadline.
BOUND_SECONDS = 5.0


class Scripted(LoopbackServer):
    """Answers every request with ``behaviour``; records the headers it was sent (lowercased)."""

    def __init__(self) -> None:
        super().__init__(_Scripted)
        self.behaviour: Behaviour = lambda handler: handler.send_json(200, b'{"ok": true}')
        self.headers: list[dict[str, str]] = []
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()
        super().stop()


class _Scripted(QuietHandler):
    def answer(self) -> None:
        fake: Scripted = self.server.fake  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fake.headers.append({name.lower(): value for name, value in self.headers.items()})
        fake.behaviour(self)

    do_GET = do_POST = answer  # noqa: N815

    @property
    def fake(self) -> Scripted:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def trickle(self, data: bytes) -> None:
        """Sends ``data`` a byte at a time, each well within any per-read timeout."""
        for byte in data:
            if self.fake.stopped.wait(0.05):  # paces the bytes; it synchronises nothing
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def server() -> Iterator[Scripted]:
    with Scripted() as fake:
        yield fake


def within(seconds: float) -> float:
    return time.monotonic() + seconds


def test_a_whole_answer_comes_back_and_the_connection_is_kept_for_the_next_call(
    server: Scripted,
) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    for _ in range(3):
        answer = outbound.call("GET", server.url, deadline=within(5))
        assert (answer.status, answer.json_object()) == (200, {"ok": True})
        assert answer.headers["content-type"] == "application/json"
    assert server.connections == 1


def test_a_trickled_head_ends_at_the_deadline(server: Scripted) -> None:
    server.behaviour = lambda h: h.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 5000)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        Outbound(max_answer_bytes=1024).call("GET", server.url, deadline=within(0.5))
    assert time.monotonic() - started < BOUND_SECONDS


def test_a_trickled_body_ends_at_the_deadline(server: Scripted) -> None:
    def slow_body(handler: _Scripted) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n")
        handler.trickle(b" " * 900)

    server.behaviour = slow_body
    started = time.monotonic()
    with pytest.raises(TimedOut):
        Outbound(max_answer_bytes=1024).call("GET", server.url, deadline=within(0.5))
    assert time.monotonic() - started < BOUND_SECONDS


def test_an_answer_over_the_cap_is_refused_and_its_connection_not_reused(
    server: Scripted,
) -> None:
    def chunked(handler: _Scripted) -> None:
        # No Content-Length: the cap is found while reading.
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(64):
            handler.wfile.write(b"400\r\n" + b" " * 1024 + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    server.behaviour = chunked
    outbound = Outbound(max_answer_bytes=4096)
    with pytest.raises(TooLarge):
        outbound.call("GET", server.url, deadline=within(5))
    server.behaviour = lambda handler: handler.send_json(200, b"{}")
    assert outbound.call("GET", server.url, deadline=within(5)).status == 200
    assert server.connections == 2


def test_an_answer_declared_over_the_cap_is_refused_before_it_is_read(server: Scripted) -> None:
    def huge(handler: _Scripted) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
        handler.wfile.flush()
        handler.fake.stopped.wait(BOUND_SECONDS)  # and never sends it

    server.behaviour = huge
    with pytest.raises(TooLarge, match="declared"):
        Outbound(max_answer_bytes=4096).call("GET", server.url, deadline=within(30))


def test_nobody_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        Outbound(max_answer_bytes=1024).call("GET", f"http://127.0.0.1:{port}", deadline=within(5))


def test_a_connection_reset_mid_answer_is_broken(server: Scripted) -> None:
    def reset(handler: _Scripted) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n{")
        handler.wfile.flush()
        linger = struct.pack("ii", 1, 0)  # close() then sends RST, not FIN
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        handler.connection.close()
        handler.close_connection = True

    server.behaviour = reset
    with pytest.raises(Broken):
        Outbound(max_answer_bytes=1024).call("GET", server.url, deadline=within(5))


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"text"', b"<html>", b"[" * 100_000 + b"]" * 100_000],
    ids=["a-list", "a-string", "not-json", "nested-past-the-stack"],
)
def test_an_answer_that_is_not_a_json_object_is_unreadable(server: Scripted, body: bytes) -> None:
    server.behaviour = lambda handler: handler.send_json(500, body)
    answer = Outbound(max_answer_bytes=1024 * 1024).call("GET", server.url, deadline=within(5))
    with pytest.raises(Unreadable):
        answer.json_object()
    assert answer.google_error()  # something to log, never an exception


def test_an_emulator_gets_bearer_owner(server: Scripted) -> None:
    outbound = Outbound(max_answer_bytes=1024, authorization=EmulatorCredentials())
    outbound.call("GET", server.url, deadline=within(5))
    assert server.headers[0]["authorization"] == "Bearer owner"


@pytest.fixture
def token_server() -> Iterator[Scripted]:
    """Google's OAuth token endpoint: a fresh access token per refresh."""
    with Scripted() as fake:
        issued = iter(range(1, 1000))

        def token(handler: _Scripted) -> None:
            document = {"access_token": f"ya29.token-{next(issued)}", "expires_in": 3600}
            handler.send_json(200, json.dumps(document).encode())

        fake.behaviour = token
        yield fake


@pytest.fixture
def service_account(
    token_server: Scripted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Application Default Credentials: a service-account file whose token URI is local."""
    pem = signing_key("service-account").private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "demo-tokenvend",
                "private_key_id": "service-account",
                "private_key": pem.decode(),
                "client_email": "tokenvend@demo-tokenvend.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{token_server.url}/token",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


@pytest.mark.usefixtures("service_account")
def test_google_credentials_are_found_once_and_sent_with_every_call(
    server: Scripted, token_server: Scripted
) -> None:
    outbound = Outbound(max_answer_bytes=1024, authorization=GoogleCredentials(["scope"]))
    for _ in range(3):
        outbound.call("GET", server.url, deadline=within(5))
    assert [h["authorization"] for h in server.headers] == ["Bearer ya29.token-1"] * 3
    assert len(token_server.headers) == 1


@pytest.mark.usefixtures("service_account")
def test_a_trickling_token_endpoint_ends_the_call_at_its_deadline(
    server: Scripted, token_server: Scripted
) -> None:
    token_server.behaviour = lambda handler: handler.trickle(b"HTTP/1.1 200 OK\r\n" * 100)
    outbound = Outbound(max_answer_bytes=1024, authorization=GoogleCredentials(["scope"]))
    started = time.monotonic()
    with pytest.raises(TimedOut):
        outbound.call("GET", server.url, deadline=within(0.5))
    # google-auth retries a failed refresh; the deadline ends its retries too.
    assert time.monotonic() - started < BOUND_SECONDS
    assert server.headers == []


@pytest.mark.usefixtures("service_account")
def test_a_refused_refresh_is_no_credentials(server: Scripted, token_server: Scripted) -> None:
    token_server.behaviour = lambda handler: handler.send_json(400, b'{"error": "invalid_grant"}')
    outbound = Outbound(max_answer_bytes=1024, authorization=GoogleCredentials(["scope"]))
    with pytest.raises(NoCredentials):
        outbound.call("GET", server.url, deadline=within(5))
    assert server.headers == []


LOCK = type(threading.Lock())


def locks_of(root: object) -> list[Any]:
    """Every lock reachable from ``root`` through the attributes of tokenvend's objects."""
    found: list[Any] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, LOCK):
            found.append(item)
        elif isinstance(item, dict):
            todo += item.values()
        elif isinstance(item, list | tuple):
            todo += item
        elif type(item).__module__.startswith("tokenvend."):
            todo += vars(item).values()
    return found


@pytest.mark.usefixtures("service_account")
def test_a_worker_forked_while_another_thread_held_every_lock_still_calls(
    server: Scripted, token_server: Scripted
) -> None:
    outbound = Outbound(max_answer_bytes=1024, authorization=GoogleCredentials(["scope"]))
    outbound.call("GET", server.url, deadline=within(5))
    # The pools' lock, the credentials' lock, and the lock of each host's pool.
    held = locks_of(outbound)
    assert len(held) >= 4
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with contextlib.ExitStack() as stack:
            for lock in held:
                stack.enter_context(lock)
            holding.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(BOUND_SECONDS)
        reader, writer = os.pipe()
        with Scripted() as other:  # a host without a pool yet: the child makes one
            child = os.fork()
            if child == 0:  # the worker gunicorn forks, as another thread held the locks
                try:
                    signal.signal(signal.SIGALRM, signal.SIG_DFL)
                    signal.alarm(30)  # a deadlocked child dies, rather than hang the suite
                    outcome = [
                        outbound.call("GET", url, deadline=within(BOUND_SECONDS)).status
                        for url in (server.url, other.url)
                    ]
                    os.write(writer, repr(outcome).encode())
                except BaseException as error:  # noqa: BLE001 - told to the parent
                    os.write(writer, repr(error).encode())
                finally:
                    os._exit(0)
            os.close(writer)
            with os.fdopen(reader) as pipe:
                said = pipe.read()
            _, status = os.waitpid(child, 0)
            assert (said, os.waitstatus_to_exitcode(status)) == ("[200, 200]", 0)
            assert other.headers[0]["authorization"] == "Bearer ya29.token-1"
    finally:
        release.set()
        holder.join()
    assert len(token_server.headers) == 1  # the child used the credentials it inherited
