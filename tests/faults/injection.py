"""Shared by the fault-injection tests (tests/test_faults_*.py): serving a built function
on a real threaded server, concurrent clients, gated key fetches, and the leak check.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import urllib3
from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import ALLOWED_ORIGIN, API_KEY, SECRET
from tests.endpoints import EVERY_METHOD
from tests.fakes.gemini import FakeGemini
from tests.fakes.secret_manager import FakeSecretManager
from tokenvend.web.endpoint import Endpoint

# Generous: a bound on elapsed time only says "within the documented time", and a busy
# two-core CI machine must not make it flaky.
SLACK_SECONDS = 2.0

Serve = Callable[[Flask], str]


@contextmanager
def servers() -> Iterator[Serve]:
    """Serves Flask apps with werkzeug's threaded server on 127.0.0.1 until the block ends."""
    started: list[BaseWSGIServer] = []

    def serve(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    try:
        yield serve
    finally:
        for server in started:
            server.shutdown()
            server.server_close()


@contextmanager
def black_hole() -> Iterator[str]:
    """A URL whose kernel completes the TCP handshake, but no one ever reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def app_for(endpoint: Endpoint) -> Flask:
    """The endpoint as a Flask app, as main.py's ``mint_token`` serves it."""
    app = Flask("tokenvend_under_test")

    def mint_token() -> Response:
        return endpoint.handle(request)

    app.add_url_rule("/", "mint_token", mint_token, methods=EVERY_METHOD)
    return app


def instance_environment(gemini: FakeGemini, **extra: str) -> dict[str, str]:
    """An instance's environment, as make_client's defaults."""
    return {
        "TOKENVEND_PROFILE": "voice-assistant",
        "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
        "GEMINI_API_KEY": API_KEY,
        **extra,
    }


def secret_manager_environment(fake: FakeSecretManager, **extra: str) -> dict[str, str]:
    return {
        "GEMINI_API_KEY": "",
        "TOKENVEND_API_KEY_SECRET": SECRET,
        "TOKENVEND_SECRET_MANAGER_ENDPOINT": fake.url,
        **extra,
    }


def post_concurrently(
    url: str, count: int, headers: Mapping[str, str] | None = None
) -> list[tuple[int, float]]:
    """``count`` requests released at once; each one's status and duration."""
    barrier = threading.Barrier(count)
    results: list[tuple[int, float]] = [(0, 0.0)] * count
    all_headers = {"Origin": ALLOWED_ORIGIN, **(headers or {})}

    def one(index: int) -> None:
        pool = urllib3.PoolManager(retries=False)
        barrier.wait()
        started = time.monotonic()
        response = pool.request("POST", url, headers=all_headers, timeout=10.0)
        results[index] = (response.status, time.monotonic() - started)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_nothing_leaked(output: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in output


class GatedFetch:
    """Wraps a key fetch so a test decides when it may run, and counts the calls."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        self.entered.set()
        assert self.gate.wait(5)
        return self._fetch()


def run_threads(
    count: int, target: Callable[[], str]
) -> tuple[list[threading.Thread], list[str | BaseException]]:
    """Starts ``count`` threads calling ``target``; returns once each is about to call it.

    Nothing here waits for the threads to block inside ``target``: the tests that use it
    assert outcomes that hold however the threads interleave from then on.
    """
    results: list[str | BaseException] = []
    lock = threading.Lock()
    calling = threading.Semaphore(0)

    def one() -> None:
        calling.release()
        try:
            value: str | BaseException = target()
        except Exception as error:  # noqa: BLE001
            value = error
        with lock:
            results.append(value)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert calling.acquire(timeout=5)
    return threads, results


def join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
