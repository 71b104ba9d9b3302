"""The outbound pool's contract: kept-alive connections reused, never shared, never stale.

Each test runs the real ``http.client`` pool against a loopback server that misbehaves
the way servers do: it closes idle connections, hangs up as a request arrives, stops
half-way through an answer, or serves a forked worker beside its parent.
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from tests.fakes.keys import signing_key
from tests.fakes.server import LoopbackServer, QuietHandler
from tokenvend.outbound import Broken, Closed, Outbound, TimedOut, TooLarge, Unreachable

Script = Callable[["_Handler", dict[str, object]], None]


class Server(LoopbackServer):
    """Echoes each request's JSON body back, unless the next script says otherwise."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        # socketserver's backlog of 5 would refuse some of the threads' connections.
        self._server.socket.listen(64)
        self.scripts: list[Script] = []
        self.hung_up = threading.Event()
        self.released = threading.Event()

    def stop(self) -> None:
        self.released.set()
        super().stop()


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        fake: Server = self.server.fake  # type: ignore[attr-defined]
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        script = fake.scripts.pop(0) if fake.scripts else _echo
        script(self, request)

    def finish(self) -> None:
        super().finish()
        if self.close_connection:
            self.connection.close()
            self.server.fake.hung_up.set()  # type: ignore[attr-defined]


def _echo(handler: _Handler, request: dict[str, object]) -> None:
    handler.send_json(200, json.dumps(request).encode())


def _answer_then_close_silently(handler: _Handler, request: dict[str, object]) -> None:
    """A whole answer without ``Connection: close``, then the idle connection is closed."""
    _echo(handler, request)
    handler.close_connection = True


def _hang_up(handler: _Handler, _request: dict[str, object]) -> None:
    handler.close_connection = True


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as running:
        yield running


def post(outbound: Outbound, server: Server, number: int, *, repeatable: bool = False) -> int:
    body = json.dumps({"n": number}).encode()
    answer = outbound.call(
        "POST", f"{server.url}/x", body=body, deadline=time.monotonic() + 5, repeatable=repeatable
    )
    assert answer.status == 200
    echoed = answer.json_object()["n"]
    assert isinstance(echoed, int)
    return echoed


def test_threads_share_the_pool_but_never_a_connection(server: Server) -> None:
    outbound = Outbound(max_answer_bytes=1024, max_idle_connections=4)
    crossed: list[tuple[int, int]] = []
    failed: list[BaseException] = []
    start = threading.Barrier(16)

    def client(offset: int) -> None:
        start.wait()
        try:
            for number in range(offset, offset + 25):
                echoed = post(outbound, server, number)
                if echoed != number:
                    crossed.append((number, echoed))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failed.append(error)

    threads = [threading.Thread(target=client, args=(i * 1000,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (crossed, failed) == ([], [])
    assert server.connections <= 16
    # The pool keeps at most four of them: the next sixteen calls open no more than twelve.
    before = server.connections
    for number in range(16):
        post(outbound, server, number)
    assert server.connections == before


def test_a_connection_the_server_closed_while_idle_is_not_used_again(server: Server) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    server.scripts.append(_answer_then_close_silently)
    assert post(outbound, server, 1) == 1
    assert server.hung_up.wait(5)
    # Not repeatable, so a stale connection would fail the call: it is found and dropped.
    assert post(outbound, server, 2) == 2
    assert server.connections == 2


# select() refuses descriptors from here on; a worker with many sockets open gets there.
FD_SETSIZE = 1024


@pytest.fixture
def descriptors_past_fd_setsize() -> Iterator[None]:
    """Every descriptor below FD_SETSIZE held open, so each new socket is numbered past it."""
    needed = FD_SETSIZE + 256  # room above for the client's and the server's sockets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard limit on open files ({hard}) is below the {needed} this needs")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    held = [os.open(os.devnull, os.O_RDONLY)]
    try:
        while held[-1] < FD_SETSIZE:
            held.append(os.dup(held[0]))
        with socket.socket() as probe:  # the lowest free number goes to the next socket
            assert probe.fileno() > FD_SETSIZE
        yield
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.usefixtures("descriptors_past_fd_setsize")
def test_an_idle_connection_numbered_past_fd_setsize_is_still_reused_or_dropped(
    server: Server,
) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    assert post(outbound, server, 1) == 1
    assert post(outbound, server, 2) == 2
    assert server.connections == 1  # checked and found alive, not taken for dropped
    server.scripts.append(_answer_then_close_silently)
    assert post(outbound, server, 3) == 3
    assert server.hung_up.wait(5)
    # Not repeatable, so reusing the closed connection would fail the call.
    assert post(outbound, server, 4) == 4
    assert server.connections == 2


def test_a_hang_up_as_the_request_arrives_is_retried_once_only_when_repeatable(
    server: Server,
) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    assert post(outbound, server, 1) == 1
    server.scripts.append(_hang_up)
    assert post(outbound, server, 2, repeatable=True) == 2
    assert server.connections == 2
    server.scripts.append(_hang_up)
    with pytest.raises(Closed):
        post(outbound, server, 3)
    assert post(outbound, server, 4) == 4


def test_a_hang_up_on_a_new_connection_is_not_retried(server: Server) -> None:
    server.scripts += [_hang_up, _hang_up]
    with pytest.raises(Broken):
        post(Outbound(max_answer_bytes=1024), server, 1, repeatable=True)
    assert server.connections == 1


def _half_then_close(handler: _Handler, _request: dict[str, object]) -> None:
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"n": ')
    handler.close_connection = True


def _half_then_wait(handler: _Handler, _request: dict[str, object]) -> None:
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"n": ')
    handler.wfile.flush()
    handler.server.fake.released.wait(30)  # type: ignore[attr-defined]
    handler.close_connection = True


def _oversized(handler: _Handler, _request: dict[str, object]) -> None:
    # A small Content-Length beside endless chunks: http.client reads the chunks, and
    # the cap, not the deadline, must end the read.
    handler.wfile.write(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    handler.wfile.write(b"800\r\n" + b" " * 2048 + b"\r\n")
    handler.wfile.flush()
    handler.server.fake.released.wait(30)  # type: ignore[attr-defined]
    handler.close_connection = True


@pytest.mark.parametrize(
    ("script", "failure", "deadline_seconds"),
    [
        (_half_then_close, Broken, 5.0),
        (_half_then_wait, TimedOut, 0.3),
        (_oversized, TooLarge, 30.0),
    ],
    ids=["closed-half-way", "stalled-half-way", "over-the-cap"],
)
def test_a_half_read_answer_fails_and_leaves_nothing_for_the_next_call(
    server: Server, script: Script, failure: type[Exception], deadline_seconds: float
) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    assert post(outbound, server, 1) == 1
    server.scripts.append(script)
    with pytest.raises(failure):
        outbound.call(
            "POST", f"{server.url}/x", body=b"{}", deadline=time.monotonic() + deadline_seconds
        )
    # The rest of that answer never reaches this call: it gets its own, whole.
    assert post(outbound, server, 3) == 3
    assert server.connections == 2


def test_a_forked_worker_opens_its_own_connection_and_leaves_its_parents_alone(
    server: Server,
) -> None:
    outbound = Outbound(max_answer_bytes=1024)
    assert post(outbound, server, 1) == 1
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the worker gunicorn forks: one call, its result down the pipe
        try:
            os.write(writer, str(post(outbound, server, 2)).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        assert pipe.read() == "2"
    os.waitpid(child, 0)
    assert server.connections == 2
    # The parent's own kept-alive connection still works: the child never touched it.
    assert post(outbound, server, 3) == 3
    assert server.connections == 2


def test_an_answer_that_closes_the_connection_is_read_whole_and_not_kept(server: Server) -> None:
    def closing(handler: _Handler, _request: dict[str, object]) -> None:
        body = b'{"n": 1, "padding": "' + b"x" * 64 + b'"}'
        head = f"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
        handler.wfile.write(head.encode())
        handler.wfile.flush()
        # Paced, so the body is likely read after http.client closed its side. The wait
        # paces the bytes; it synchronises nothing (it ends early only at teardown), and
        # no assertion below depends on how the bytes happen to arrive.
        for byte in body:
            if handler.server.fake.released.wait(0.002):  # type: ignore[attr-defined]
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        handler.close_connection = True

    outbound = Outbound(max_answer_bytes=1024)
    server.scripts.append(closing)
    answer = outbound.call("POST", f"{server.url}/x", body=b"{}", deadline=time.monotonic() + 5)
    assert answer.json_object()["n"] == 1
    assert post(outbound, server, 2) == 2
    assert server.connections == 2


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = signing_key("tls").private_key
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "cert.pem", folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """The echo server behind TLS, and the certificate a client must trust to reach it."""
    certificate, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    running = Server()
    running._server.socket = context.wrap_socket(running._server.socket, server_side=True)
    with running:
        yield running, certificate


def test_https_is_verified_and_its_connection_kept_alive(
    tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, certificate = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the system's trust store, here
    outbound = Outbound(max_answer_bytes=1024)
    url = server.url.replace("http://", "https://") + "/x"
    for number in range(3):
        body = json.dumps({"n": number}).encode()
        answer = outbound.call("POST", url, body=body, deadline=time.monotonic() + 5)
        assert answer.json_object() == {"n": number}
    assert server.connections == 1


def test_a_certificate_nobody_trusts_is_unreachable_and_nothing_is_sent(
    tls_server: tuple[Server, Path],
) -> None:
    server, _ = tls_server
    url = server.url.replace("http://", "https://") + "/x"
    with pytest.raises(Unreachable) as failed:
        Outbound(max_answer_bytes=1024).call("POST", url, body=b"{}", deadline=time.monotonic() + 5)
    assert failed.value.cause == "SSLCertVerificationError"
    assert server.connections == 0
