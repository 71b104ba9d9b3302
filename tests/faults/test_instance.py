"""Fault injection at instance start: the API key prefetch, gunicorn's fork while it runs,
and the build that pauses the garbage collector.

A cache's fetch is gated by the test (``GatedFetch``), so "the prefetch is still running"
is a state the test holds, not a race it hopes to win. Forks run the at-fork hooks, as
gunicorn's fork of its worker does; the child reports through its exit status.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable

import pytest

from tests.conftest import (
    ALLOWED_ORIGIN,
    API_KEY,
    SECRET_VERSION,
    AppFactory,
    FakeClock,
    LogCapture,
)
from tests.fakes.secret_manager import FakeSecretManager
from tests.faults.injection import (
    GatedFetch,
    assert_nothing_leaked,
    join_all,
    run_threads,
    secret_manager_environment,
)
from tokenvend.app import collector_paused
from tokenvend.errors import ConfigurationError, Unavailable
from tokenvend.gemini.api_key import CachedApiKey
from tokenvend.gemini.secret_manager import SecretManagerKey

CHILD_WATCHDOG_SECONDS = 10  # a child stuck on a copied lock dies instead of hanging the run

# The key prefetch at instance start ------------------------------------------------------


def counting_cache(
    clock: FakeClock, log: LogCapture, **options: float
) -> tuple[CachedApiKey, GatedFetch]:
    fetch = GatedFetch(lambda: API_KEY)
    return CachedApiKey(fetch, clock=clock, log=log.log, ttl_seconds=600, **options), fetch


def test_instance_start_fetches_the_key_before_the_first_request(
    make_client: AppFactory, secret_manager: FakeSecretManager
) -> None:
    client = make_client(**secret_manager_environment(secret_manager))
    assert secret_manager.wait_for_connections(1)  # no request has been made yet
    statuses = [client.post("/", headers={"Origin": ALLOWED_ORIGIN}).status_code for _ in range(3)]
    assert statuses == [200] * 3
    assert secret_manager.calls == 1


def test_requests_during_the_prefetch_wait_for_it_instead_of_fetching_again(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    cache, fetch = counting_cache(clock, log_capture)
    cache.prefetch()
    assert fetch.entered.wait(5)
    threads, results = run_threads(10, cache.api_key)
    fetch.gate.set()
    join_all(threads)
    assert results == [API_KEY] * 10 and fetch.calls == 1


def test_a_failed_prefetch_is_shared_until_the_pause_ends_then_tried_again(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    secret_manager.fail_next(403)
    fetch = SecretManagerKey(SECRET_VERSION, endpoint=secret_manager.url, log=log_capture.log)
    cache = CachedApiKey(
        fetch, clock=clock, log=log_capture.log, ttl_seconds=600, retry_after_failure_seconds=10
    )
    cache.prefetch()
    cache.wait_for_prefetch(timeout_seconds=5)
    assert secret_manager.calls == 1
    clock.advance(9)  # within the pause: the prefetch's failure, no new call
    with pytest.raises(Unavailable):
        cache.api_key()
    assert secret_manager.calls == 1
    clock.advance(1)  # the pause is over: the next request asks again
    assert cache.api_key() == API_KEY and secret_manager.calls == 2
    assert [e["severity"] for e in log_capture.entries()] == ["ERROR"]
    assert_nothing_leaked(log_capture.text, API_KEY)


def fork_and_check(check: Callable[[], bool]) -> bool:
    """Forks (running the at-fork hooks, as gunicorn's fork does); the child runs ``check``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status only
        try:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(CHILD_WATCHDOG_SECONDS)
            os._exit(0 if check() else 1)
        finally:
            os._exit(2)
    _, code = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(code) == 0


def open_when_forking(gate: threading.Event) -> None:
    """Opens ``gate`` in the next fork's before-hooks, ahead of the hooks registered so far.

    Python runs before-fork hooks in reverse order of registration, so a cache's hook
    (registered by ``prefetch``, earlier) then finds its prefetch still running.
    """
    armed = threading.Event()
    armed.set()

    def before() -> None:
        if armed.is_set():
            armed.clear()
            gate.set()

    os.register_at_fork(before=before)


def test_a_fork_waits_for_a_running_prefetch_so_the_worker_starts_with_the_key(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    cache, fetch = counting_cache(clock, log_capture)
    cache.prefetch()
    assert fetch.entered.wait(5)
    open_when_forking(fetch.gate)

    def child_has_the_key_without_fetching() -> bool:
        return cache.api_key() == API_KEY and fetch.calls == 1

    assert fork_and_check(child_has_the_key_without_fetching)
    assert cache.api_key() == API_KEY and fetch.calls == 1


def test_a_fork_during_a_stuck_prefetch_gives_the_worker_a_lock_it_can_fetch_with(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    cache, fetch = counting_cache(clock, log_capture, fork_wait_seconds=0.01)
    cache.prefetch()
    assert fetch.entered.wait(5)

    def child_fetches_the_key_itself() -> bool:
        fetch.gate.set()  # the child's copy of the gate: the parent's prefetch stays stuck
        return cache.api_key() == API_KEY and fetch.calls == 2

    try:
        assert fork_and_check(child_fetches_the_key_itself)
    finally:
        fetch.gate.set()
    cache.wait_for_prefetch(timeout_seconds=5)
    assert cache.api_key() == API_KEY and fetch.calls == 1
    assert_nothing_leaked(log_capture.text, API_KEY)


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
