"""Fault injection, the keys misbehaving: Secret Manager failing or rotating the API key,
and the certificate endpoint of a caller check going down.

Each case ends in its documented status, and nothing written to stdout, stderr or the
log holds the API key, a minted token name or a caller's token. Time is a FakeClock's
wherever the code reads it through the clock seam: TTLs run out when a test says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

from tests.conftest import (
    ALLOWED_ORIGIN,
    API_KEY,
    SECRET,
    SECRET_VERSION,
    AppFactory,
    FakeClock,
    LogCapture,
    log_lines,
)
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import FakeKeyServer, firebase_claims, signing_key, write_policy
from tests.fakes.secret_manager import FakeSecretManager
from tests.faults import injection as faults
from tests.faults.injection import (
    SLACK_SECONDS,
    GatedFetch,
    Serve,
    app_for,
    assert_nothing_leaked,
    instance_environment,
    join_all,
    post_concurrently,
    run_threads,
    secret_manager_environment,
    servers,
)
from tokenvend.app import build_endpoint
from tokenvend.errors import Unavailable
from tokenvend.gemini.api_key import CachedApiKey
from tokenvend.gemini.secret_manager import SecretManagerKey
from tokenvend.settings import Settings

ROTATED_KEY = "AIzaSyROTATED-key-9876543210zyxwvutsrqpo"


@pytest.fixture
def serve() -> Iterator[Serve]:
    with servers() as serve:
        yield serve


# Secret Manager misbehaving -------------------------------------------------------------


def test_secret_manager_failing_during_a_refresh_serves_every_concurrent_request_the_last_key(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    fetch = GatedFetch(
        SecretManagerKey(SECRET_VERSION, endpoint=secret_manager.url, log=log_capture.log)
    )
    cache = CachedApiKey(
        fetch,
        clock=clock,
        log=log_capture.log,
        ttl_seconds=600,
        grace_seconds=3600,
        retry_after_failure_seconds=10,
    )
    fetch.gate.set()
    assert cache.api_key() == API_KEY
    fetch.gate.clear()
    secret_manager.fail_always(403)
    clock.advance(601)  # the key is due for a refresh, and Secret Manager now refuses
    threads, results = run_threads(20, cache.api_key)
    assert fetch.entered.wait(5)  # one request is refreshing; the others wait or follow it
    fetch.gate.set()
    join_all(threads)
    assert results == [API_KEY] * 20  # all served the last good key
    assert fetch.calls == 2 and secret_manager.calls == 2  # one fetch, one failed refresh
    warnings = [e for e in log_capture.entries() if e["severity"] == "WARNING"]
    assert len(warnings) == 1 and warnings[0]["reason"] == "secret_unavailable"
    clock.advance(11)  # the next refresh waits retry_after_failure_seconds
    secret_manager.recover()
    secret_manager.add_version(SECRET, ROTATED_KEY.encode())
    assert cache.api_key() == ROTATED_KEY
    assert_nothing_leaked(log_capture.text, API_KEY, ROTATED_KEY)


def test_secret_manager_down_at_cold_start_fails_concurrent_requests_with_one_call(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    """No key yet and Secret Manager down: requests that asked meanwhile share the failure.

    Without that, each waiting request would make its own call in turn (each up to the
    client's retry deadline), and the last would wait for all of them.
    """
    fetch = GatedFetch(
        SecretManagerKey(SECRET_VERSION, endpoint=secret_manager.url, log=log_capture.log)
    )
    cache = CachedApiKey(fetch, clock=clock, log=log_capture.log, ttl_seconds=600)
    secret_manager.fail_always(403)
    threads, results = run_threads(20, cache.api_key)
    assert fetch.entered.wait(5)
    fetch.gate.set()
    join_all(threads)
    refusals = [r for r in results if isinstance(r, Unavailable)]
    assert len(refusals) == 20 and {r.http_status for r in refusals} == {503}
    assert all(r.response_headers() == {"Retry-After": "5"} for r in refusals)
    assert fetch.calls == 1 and secret_manager.calls == 1
    # Until the pause after a failure ends, later requests get the same answer at once;
    # after it, the next one asks again.
    secret_manager.recover()
    clock.advance(9)
    with pytest.raises(Unavailable):
        cache.api_key()
    assert secret_manager.calls == 1
    clock.advance(1)
    assert cache.api_key() == API_KEY and secret_manager.calls == 2
    assert_nothing_leaked(log_capture.text, API_KEY)


class RequestLoop:
    """Clients that post to ``url`` back to back until stopped, each on its own thread."""

    def __init__(self, url: str, clients: int) -> None:
        self.statuses: list[int] = []
        self._url = url
        self._answered = threading.Condition()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client) for _ in range(clients)]
        for thread in self._threads:
            thread.start()

    def _client(self) -> None:
        pool = urllib3.PoolManager(retries=False)
        while not self._stop.is_set():
            response = pool.request(
                "POST", self._url, headers={"Origin": ALLOWED_ORIGIN}, timeout=5.0
            )
            with self._answered:
                self.statuses.append(response.status)
                self._answered.notify_all()

    def wait_for_more_answers(self, count: int) -> None:
        with self._answered:
            target = len(self.statuses) + count
            assert self._answered.wait_for(lambda: len(self.statuses) >= target, 10)

    def stop(self) -> None:
        self._stop.set()
        join_all(self._threads)


def test_key_rotating_while_requests_are_in_flight_fails_none_of_them(
    gemini: FakeGemini,
    secret_manager: FakeSecretManager,
    serve: Serve,
    clock: FakeClock,
    capfd: pytest.CaptureFixture[str],
) -> None:
    environment = instance_environment(
        gemini, **secret_manager_environment(secret_manager, TOKENVEND_API_KEY_TTL_SECONDS="600")
    )
    loop = RequestLoop(serve(app_for(build_endpoint(Settings.from_environ(environment), clock))), 6)
    try:
        loop.wait_for_more_answers(12)
        secret_manager.add_version(SECRET, ROTATED_KEY.encode())
        loop.wait_for_more_answers(12)  # rotated, but the cached key has 600 s to go
        before_expiry = len(gemini.requests)
        clock.advance(600)  # the cached key is due: the next request fetches the new one
        loop.wait_for_more_answers(12)
    finally:
        loop.stop()
    keys = [request.headers["x-goog-api-key"] for request in gemini.requests]
    assert loop.statuses and set(loop.statuses) == {200}
    assert set(keys[:before_expiry]) == {API_KEY} and keys[-1] == ROTATED_KEY
    # Once a request used the new key, only requests already in flight still carry the old.
    first_new = keys.index(ROTATED_KEY)
    assert keys[first_new:].count(API_KEY) <= 6
    assert secret_manager.calls == 2  # the prefetch, then one refresh when the TTL ran out
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, ROTATED_KEY, *gemini.minted)


# Caller checks: the certificate endpoint is down ------------------------------------------

FIREBASE_KEY = signing_key("firebase-1")
FIREBASE_CALLERS = """\
  callers:
    firebase:
      project_id: demo-tokenvend
"""
KEY_FETCH_TIMEOUT_SECONDS = 0.5


@pytest.fixture
def black_hole() -> Iterator[str]:
    with faults.black_hole() as url:
        yield url


def test_certificate_outage_on_a_cold_instance_is_a_503_for_all_within_the_fetch_timeout(
    gemini: FakeGemini,
    serve: Serve,
    black_hole: str,
    clock: FakeClock,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    write_policy(tmp_path, "members", FIREBASE_CALLERS)
    environment = instance_environment(
        gemini,
        TOKENVEND_PROFILE="members",
        TOKENVEND_POLICY_DIR=str(tmp_path),
        TOKENVEND_FIREBASE_CERTS_URL=f"{black_hole}/firebase",
        TOKENVEND_KEY_FETCH_TIMEOUT_SECONDS=str(KEY_FETCH_TIMEOUT_SECONDS),
    )
    endpoint = build_endpoint(Settings.from_environ(environment), clock)
    token = FIREBASE_KEY.sign(firebase_claims())
    results = post_concurrently(serve(app_for(endpoint)), 10, {"Authorization": f"Bearer {token}"})
    assert [code for code, _ in results] == [503] * 10
    assert all(seconds < KEY_FETCH_TIMEOUT_SECONDS + SLACK_SECONDS for _, seconds in results)
    output = capfd.readouterr()
    entries = log_lines(output.out)
    assert len([e for e in entries if e.get("key_url")]) == 1  # one fetch, however many wait
    assert {e["reason"] for e in entries if "status" in e} == {"keys_unavailable"}
    assert_nothing_leaked(output.out + output.err, API_KEY, token)


def test_certificate_outage_on_a_warm_instance_changes_nothing(
    make_client: AppFactory,
    serve: Serve,
    gemini: FakeGemini,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    with FakeKeyServer([FIREBASE_KEY]) as keys:
        write_policy(tmp_path, "members", FIREBASE_CALLERS)
        client = make_client("members", TOKENVEND_POLICY_DIR=str(tmp_path), **keys.environment())
        url = serve(client.application)
        token = FIREBASE_KEY.sign(firebase_claims())
        assert post_concurrently(url, 1, {"Authorization": f"Bearer {token}"})[0][0] == 200
        keys.failing = True
        results = post_concurrently(url, 10, {"Authorization": f"Bearer {token}"})
        assert [code for code, _ in results] == [200] * 10
        assert sum(keys.fetches.values()) == 1
    output = capfd.readouterr()
    assert_nothing_leaked(output.out + output.err, API_KEY, token, *gemini.minted)
