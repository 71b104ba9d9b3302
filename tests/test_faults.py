"""Fault injection: every failure ends in its documented status, in bounded time, quietly.

Each case runs the real function (built by functions-framework) against loopback fakes
that misbehave on purpose; cases about concurrency serve the function with a real
threaded HTTP server. Every case also scans everything written to stdout and stderr for
the API key and the minted token names, which must never appear.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

import tokenvend.api_key
from tests.conftest import (
    ALLOWED_ORIGIN,
    API_KEY,
    SECRET,
    AppFactory,
    FakeClock,
    LogCapture,
    log_lines,
)
from tests.fakes.gemini import HANG, RESET, TOKEN, FakeGemini, status
from tests.fakes.keys import FakeKeyServer, firebase_claims, signing_key, write_policy
from tests.fakes.secret_manager import FakeSecretManager
from tokenvend.api_key import CachedApiKey
from tokenvend.errors import ConfigurationError, Unavailable
from tokenvend.instance import collector_paused
from tokenvend.public_keys import PublicKeys
from tokenvend.secret_manager import SecretManagerKey

ROTATED_KEY = "AIzaSyROTATED-key-9876543210zyxwvutsrqpo"
DEADLINE = 1.0  # TOKENVEND_GEMINI_TIMEOUT_SECONDS in these tests
SLACK = 0.6  # scheduling slack on a busy two-core CI machine
ONE_RETRY = 0.2 * 1.5  # GeminiTokenMinter's longest jittered pause before its one retry

Serve = Callable[[FlaskClient], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serves a built function with werkzeug's threaded server on 127.0.0.1."""
    servers: list[BaseWSGIServer] = []

    def start(client: FlaskClient) -> str:
        server = make_server("127.0.0.1", 0, client.application, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port whose kernel completes the TCP handshake, but no one ever reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def post(client: FlaskClient) -> tuple[int, Any, float]:
    started = time.monotonic()
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    return response.status_code, response.get_json(), time.monotonic() - started


def post_concurrently(url: str, count: int, headers: dict[str, str] | None = None) -> list[
    tuple[int, float]
]:  # fmt: skip
    """``count`` requests released at once; each one's status and duration."""
    barrier = threading.Barrier(count)
    results: list[tuple[int, float]] = [(0, 0.0)] * count
    headers = {"Origin": ALLOWED_ORIGIN, **(headers or {})}

    def one(index: int) -> None:
        pool = urllib3.PoolManager(retries=False)
        barrier.wait()
        started = time.monotonic()
        response = pool.request("POST", url, headers=headers, timeout=10.0)
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


def secret_manager_environment(fake: FakeSecretManager, **extra: str) -> dict[str, str]:
    return {
        "GEMINI_API_KEY": "",
        "TOKENVEND_API_KEY_SECRET": SECRET,
        "TOKENVEND_SECRET_MANAGER_ENDPOINT": fake.url,
        **extra,
    }


# Gemini misbehaving ------------------------------------------------------------------


def test_upstream_flapping_between_5xx_and_success_retries_once_per_request(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE))
    gemini.answer(
        status(503), TOKEN,  # one failure, then the retry succeeds
        status(500), status(502),  # two in a row: the retry is spent
        TOKEN,
        status(503), status(503),
        TOKEN,
    )  # fmt: skip
    results = [post(client) for _ in range(5)]
    assert [code for code, _, _ in results] == [200, 502, 200, 502, 200]
    assert len(gemini.requests) == 8
    for code, body, seconds in results:
        assert seconds < ONE_RETRY + SLACK
        if code == 502:
            assert body == {"error": {"code": 502, "status": "BAD_GATEWAY",
                                      "message": "Gemini could not create a token"}}  # fmt: skip
    output = capfd.readouterr()
    reasons = [entry["reason"] for entry in log_lines(output.out) if "status" in entry]
    assert reasons == ["minted", "upstream_502", "minted", "upstream_503", "minted"]
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_connection_reset_mid_response_is_retried_once_then_a_bad_gateway(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE))
    gemini.answer(RESET)
    assert post(client)[0] == 200
    gemini.answer(RESET, RESET)
    code, body, seconds = post(client)
    assert code == 502 and body["error"]["status"] == "BAD_GATEWAY"
    assert seconds < ONE_RETRY + SLACK
    assert post(client)[0] == 200  # the pool dropped the broken connections
    output = capfd.readouterr()
    assert [e["reason"] for e in log_lines(output.out) if "status" in e] == [
        "minted", "upstream_broken", "minted",
    ]  # fmt: skip
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_upstream_that_never_answers_is_a_504_at_the_deadline_and_not_retried(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE))
    gemini.answer(HANG)
    code, body, seconds = post(client)
    assert code == 504
    assert body["error"] == {
        "code": 504,
        "status": "DEADLINE_EXCEEDED",
        "message": "Gemini did not answer in time",
    }
    assert DEADLINE - 0.05 <= seconds < DEADLINE + SLACK
    assert len(gemini.requests) == 1  # a read timeout is not retried: it may have minted
    code, _, seconds = post(client)
    assert code == 200 and seconds < DEADLINE
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, *gemini.minted)


def test_concurrent_requests_to_a_silent_upstream_all_end_at_the_deadline(
    make_client: AppFactory, serve: Serve, black_hole: str, capfd: pytest.CaptureFixture[str]
) -> None:
    url = serve(
        make_client(
            TOKENVEND_GEMINI_TIMEOUT_SECONDS=str(DEADLINE), TOKENVEND_GEMINI_ENDPOINT=black_hole
        )
    )
    results = post_concurrently(url, 8)
    assert [code for code, _ in results] == [504] * 8
    assert all(DEADLINE - 0.05 <= seconds < DEADLINE + SLACK for _, seconds in results)
    output = capfd.readouterr()
    entries = [e for e in log_lines(output.out) if "status" in e]
    assert {e["reason"] for e in entries} == {"upstream_timeout"} and len(entries) == 8
    assert_nothing_leaked(output.out + output.err, API_KEY)


# Secret Manager misbehaving -------------------------------------------------------------


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


def run_threads(count: int, target: Callable[[], str]) -> tuple[list[threading.Thread], list[
    str | BaseException
]]:  # fmt: skip
    """Starts ``count`` threads calling ``target``; returns once all of them are calling it.

    A thread is then at most a few bytecodes from blocking inside ``target``; callers
    sleep briefly after this to let them get there.
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


def test_secret_manager_failing_during_a_refresh_under_concurrent_requests(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    fetch = GatedFetch(SecretManagerKey(SECRET, endpoint=secret_manager.url, log=log_capture.log))
    cache = CachedApiKey(
        fetch, clock=clock, log=log_capture.log, ttl_seconds=600, grace_seconds=3600,
        retry_after_failure_seconds=10,
    )  # fmt: skip
    fetch.gate.set()
    assert cache.api_key() == API_KEY
    fetch.gate.clear()
    secret_manager.fail_always(403)
    clock.advance(601)  # the key is due for a refresh, and Secret Manager now refuses
    threads, results = run_threads(20, cache.api_key)
    assert fetch.entered.wait(5)
    time.sleep(0.1)  # let the other requests queue behind the one refreshing
    fetch.gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [API_KEY] * 20  # all served the last good key
    assert fetch.calls == 2 and secret_manager.calls == 2  # one fetch, one failed refresh
    warnings = [e for e in log_capture.entries() if e["severity"] == "WARNING"]
    assert len(warnings) == 1 and warnings[0]["reason"] == "secret_unavailable"
    clock.advance(11)  # the next refresh waits retry_after_failure_seconds
    secret_manager.recover()
    secret_manager.add_version(SECRET, ROTATED_KEY.encode())
    assert cache.api_key() == ROTATED_KEY
    assert_nothing_leaked(log_capture.text, API_KEY, ROTATED_KEY)


def test_secret_manager_down_at_cold_start_fails_waiting_requests_with_one_call(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    """No key yet and Secret Manager down: requests that waited share the one failure.

    Without that, each waiting request would make its own call in turn (each up to the
    client's retry deadline), and the last would wait for all of them.
    """
    fetch = GatedFetch(SecretManagerKey(SECRET, endpoint=secret_manager.url, log=log_capture.log))
    cache = CachedApiKey(fetch, clock=clock, log=log_capture.log, ttl_seconds=600)
    secret_manager.fail_always(403)
    threads, results = run_threads(20, cache.api_key)
    assert fetch.entered.wait(5)
    time.sleep(0.1)
    fetch.gate.set()
    for thread in threads:
        thread.join(5)
    refusals = [r for r in results if isinstance(r, Unavailable)]
    assert len(refusals) == 20 and {r.http_status for r in refusals} == {503}
    assert all(r.response_headers() == {"Retry-After": "5"} for r in refusals)
    assert fetch.calls == 1 and secret_manager.calls == 1
    # A later request is not refused on old news: it asks again.
    secret_manager.recover()
    assert cache.api_key() == API_KEY and secret_manager.calls == 2
    assert_nothing_leaked(log_capture.text, API_KEY)


def test_key_rotating_while_requests_are_in_flight_fails_none_of_them(
    make_client: AppFactory,
    serve: Serve,
    gemini: FakeGemini,
    secret_manager: FakeSecretManager,
    capfd: pytest.CaptureFixture[str],
) -> None:
    ttl = 1
    url = serve(
        make_client(
            **secret_manager_environment(secret_manager, TOKENVEND_API_KEY_TTL_SECONDS=str(ttl))
        )
    )
    statuses: list[int] = []
    stop = threading.Event()

    def client() -> None:
        pool = urllib3.PoolManager(retries=False)
        while not stop.is_set():
            response = pool.request("POST", url, headers={"Origin": ALLOWED_ORIGIN}, timeout=5.0)
            statuses.append(response.status)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(0.4)
    secret_manager.add_version(SECRET, ROTATED_KEY.encode())
    rotated_at = len(gemini.requests)
    time.sleep(ttl + 0.6)  # the cached key expires and the next request fetches the new one
    stop.set()
    for thread in threads:
        thread.join(5)
    keys = [request.headers["x-goog-api-key"] for request in gemini.requests]
    assert statuses and set(statuses) == {200}
    assert API_KEY in keys[:rotated_at] and keys[-1] == ROTATED_KEY
    assert set(keys) == {API_KEY, ROTATED_KEY}
    # Once a request used the new key, only requests already in flight still carry the old.
    first_new = keys.index(ROTATED_KEY)
    assert keys[first_new:].count(API_KEY) <= len(threads)
    assert secret_manager.calls <= 3  # the prefetch, then one per TTL window
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, ROTATED_KEY, *gemini.minted)


# Caller checks: the certificate endpoint is down ------------------------------------------

FIREBASE_KEY = signing_key("firebase-1")
FIREBASE_CALLERS = """\
  callers:
    firebase:
      project_id: demo-tokenvend
"""


def test_certificate_endpoint_outage_on_a_cold_instance_is_a_503_for_all_with_one_fetch(
    make_client: AppFactory,
    serve: Serve,
    black_hole: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fetch_timeout = 0.5
    kwdefaults = PublicKeys.__init__.__kwdefaults__
    assert kwdefaults is not None
    monkeypatch.setitem(kwdefaults, "timeout_seconds", fetch_timeout)
    write_policy(tmp_path, "members", FIREBASE_CALLERS)
    url = serve(
        make_client(
            "members",
            TOKENVEND_POLICY_DIR=str(tmp_path),
            TOKENVEND_FIREBASE_CERTS_URL=f"{black_hole}/firebase",
        )
    )
    token = FIREBASE_KEY.sign(firebase_claims())
    results = post_concurrently(url, 10, {"Authorization": f"Bearer {token}"})
    assert [code for code, _ in results] == [503] * 10
    assert all(seconds < fetch_timeout + SLACK for _, seconds in results)
    output = capfd.readouterr()
    entries = log_lines(output.out)
    assert len([e for e in entries if e.get("key_url")]) == 1  # one fetch, however many wait
    assert {e["reason"] for e in entries if "status" in e} == {"keys_unavailable"}
    assert_nothing_leaked(output.out + output.err, API_KEY, token)


def test_certificate_endpoint_outage_on_a_warm_instance_changes_nothing(
    make_client: AppFactory,
    serve: Serve,
    gemini: FakeGemini,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with FakeKeyServer([FIREBASE_KEY]) as keys:
        assert isinstance(keys, FakeKeyServer)
        write_policy(tmp_path, "members", FIREBASE_CALLERS)
        url = serve(make_client("members", TOKENVEND_POLICY_DIR=str(tmp_path),
                                **keys.environment()))  # fmt: skip
        token = FIREBASE_KEY.sign(firebase_claims())
        assert post_concurrently(url, 1, {"Authorization": f"Bearer {token}"})[0][0] == 200
        keys.failing = True
        results = post_concurrently(url, 10, {"Authorization": f"Bearer {token}"})
        assert [code for code, _ in results] == [200] * 10
        assert sum(keys.fetches.values()) == 1
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, token, *gemini.minted)


# The key prefetch at instance start ------------------------------------------------------


def counting_cache(clock: FakeClock, log: LogCapture) -> tuple[CachedApiKey, GatedFetch]:
    fetch = GatedFetch(lambda: API_KEY)
    return CachedApiKey(fetch, clock=clock, log=log.log, ttl_seconds=600), fetch


def test_instance_start_fetches_the_key_before_the_first_request(
    make_client: AppFactory, secret_manager: FakeSecretManager
) -> None:
    client = make_client(**secret_manager_environment(secret_manager))
    deadline = time.monotonic() + 5
    while secret_manager.calls == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert secret_manager.calls == 1
    assert [post(client)[0] for _ in range(3)] == [200] * 3
    assert secret_manager.calls == 1


def test_requests_during_the_prefetch_wait_for_it_instead_of_fetching_again(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    cache, fetch = counting_cache(clock, log_capture)
    cache.prefetch()
    assert fetch.entered.wait(5)
    threads, results = run_threads(10, cache.api_key)
    time.sleep(0.1)
    fetch.gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [API_KEY] * 10 and fetch.calls == 1


def test_a_failed_prefetch_leaves_the_first_request_to_try_again(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    secret_manager.fail_next(403)
    fetch = SecretManagerKey(SECRET, endpoint=secret_manager.url, log=log_capture.log)
    cache = CachedApiKey(fetch, clock=clock, log=log_capture.log, ttl_seconds=600)
    cache.prefetch()
    cache.wait_for_prefetch(5)
    assert secret_manager.calls == 1
    assert cache.api_key() == API_KEY and secret_manager.calls == 2
    assert [e["severity"] for e in log_capture.entries()] == ["ERROR"]
    assert_nothing_leaked(log_capture.text, API_KEY)


def fork_and_check(check: Callable[[], bool]) -> bool:
    """Forks (running the at-fork hooks, as gunicorn's fork does); the child runs ``check``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status only
        try:
            os._exit(0 if check() else 1)
        finally:
            os._exit(2)
    _, code = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(code) == 0


def test_a_fork_waits_for_a_running_prefetch_so_the_worker_starts_with_the_key(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    cache, fetch = counting_cache(clock, log_capture)
    cache.prefetch()
    assert fetch.entered.wait(5)
    threading.Timer(0.1, fetch.gate.set).start()
    started = time.monotonic()

    def child_has_the_key_and_a_free_lock() -> bool:
        return cache._key == API_KEY and cache._lock.acquire(blocking=False)

    assert fork_and_check(child_has_the_key_and_a_free_lock)
    assert time.monotonic() - started >= 0.09


def test_a_fork_during_a_stuck_prefetch_gives_the_worker_a_fresh_lock(
    clock: FakeClock, log_capture: LogCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokenvend.api_key, "PREFETCH_FORK_WAIT_SECONDS", 0.05)
    cache, fetch = counting_cache(clock, log_capture)
    cache.prefetch()
    assert fetch.entered.wait(5)

    def child_can_fetch_for_itself() -> bool:
        return cache._key is None and cache._lock.acquire(blocking=False)

    try:
        assert fork_and_check(child_can_fetch_for_itself)
    finally:
        fetch.gate.set()
    cache.wait_for_prefetch(5)
    assert cache.api_key() == API_KEY and fetch.calls == 1
    assert json.dumps(log_capture.entries()).count(API_KEY) == 0


# The build pauses the garbage collector ------------------------------------------------


def test_the_build_runs_without_the_collector_and_freezes_what_it_made(
    make_client: AppFactory,
) -> None:
    seen: list[bool] = []
    gc.unfreeze()
    with collector_paused():
        seen.append(gc.isenabled())
    assert seen == [False] and gc.isenabled() and gc.get_freeze_count() > 0
    make_client()
    assert gc.isenabled()


def test_a_failed_build_turns_the_collector_back_on(make_client: AppFactory) -> None:
    with pytest.raises(ConfigurationError):
        make_client("no-such-profile")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
