"""Where the Gemini API key comes from, and how long one fetch is reused.

Deployed functions read the key from Secret Manager; a local run may take it from
``GEMINI_API_KEY``. The cache holds one key per instance for a TTL, lets a single caller
refresh it while concurrent requests wait for that one fetch, and keeps serving the last
good key for a bounded grace time when a refresh fails, so a Secret Manager blip does
not become an outage.

``prefetch`` fetches the first key in a background thread at instance start, so the
request that woke the instance does not also wait for Secret Manager. functions-framework
serves through gunicorn, which loads the function and then forks its worker: a fork
waits for a running prefetch (up to ``fork_wait_seconds``, longer than a Secret Manager
call may take), and the child starts with a fresh cache lock, so the worker does not
inherit a half-finished fetch or a cache lock nobody will release.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

from tokenvend import reasons
from tokenvend.clock import Clock
from tokenvend.errors import TokenvendError, Unavailable
from tokenvend.logs import StructuredLog
from tokenvend.settings import env_name

# How long a fork waits for a running prefetch: a Secret Manager call's whole retry budget.
DEFAULT_FORK_WAIT_SECONDS = 6.0


def usable_as_api_key(value: str) -> bool:
    """Whether ``value`` can travel in an HTTP header as it is: printable ASCII, no spaces."""
    return bool(value) and value.isascii() and value.isprintable() and " " not in value


class ApiKeySource(Protocol):
    """Where a request gets the Gemini API key: a fixed key, none, or the Secret Manager cache."""

    def api_key(self) -> str:
        """The key to send to Gemini; raises a TokenvendError when there is none."""
        ...


class StaticApiKey:
    """A key given once, for local runs (``GEMINI_API_KEY``)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def api_key(self) -> str:
        return self._key


class NoApiKey:
    """No key configured: every request is answered 503; its log line says what to set.

    The browser gets the generic message: which variables configure the function is
    for its operator, not for whoever calls it.
    """

    how_to_configure = (
        f"no API key configured: set {env_name('api_key_secret')} (deployed functions) "
        f"or {env_name('gemini_api_key')} (local runs)"
    )

    def api_key(self) -> str:
        raise Unavailable(reason=reasons.NO_API_KEY, detail=self.how_to_configure)


class CachedApiKey:
    """Reuses one fetched key for ``ttl_seconds``; one fetch at a time (single flight)."""

    def __init__(
        self,
        fetch: Callable[[], str],
        *,
        clock: Clock,
        log: StructuredLog,
        ttl_seconds: float,
        grace_seconds: float = 3600.0,
        retry_after_failure_seconds: float = 10.0,
        fork_wait_seconds: float = DEFAULT_FORK_WAIT_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._log = log
        self._ttl_seconds = ttl_seconds
        self._grace_seconds = grace_seconds
        self._retry_after_failure_seconds = retry_after_failure_seconds
        self._fork_wait_seconds = fork_wait_seconds
        self._lock = threading.Lock()
        self._key: str | None = None
        self._fetched_at_seconds = 0.0
        self._next_refresh_at_seconds = 0.0
        self._prefetch_thread: threading.Thread | None = None
        self._failure: TokenvendError | None = None  # how the latest fetch failed, if it did
        self._failed_at_seconds = 0.0  # when it failed: until the pause ends, requests share it

    def prefetch(self) -> None:
        """Start fetching the key in the background; requests that come first wait for it."""
        thread = threading.Thread(target=self._prefetch, name="tokenvend-key-prefetch", daemon=True)
        self._prefetch_thread = thread
        # The hooks hold the cache weakly: a test process builds many caches and forks none.
        reference = weakref.ref(self)

        def before_fork() -> None:
            if (cache := reference()) is not None:
                cache.wait_for_prefetch()

        def after_fork_in_child() -> None:
            if (cache := reference()) is not None:
                cache._after_fork_in_child()

        os.register_at_fork(before=before_fork, after_in_child=after_fork_in_child)
        thread.start()

    def wait_for_prefetch(self, timeout_seconds: float | None = None) -> None:
        """Waits for a running prefetch, at most ``timeout_seconds`` (default: the fork's)."""
        thread = self._prefetch_thread
        if thread is not None:
            thread.join(self._fork_wait_seconds if timeout_seconds is None else timeout_seconds)

    def _prefetch(self) -> None:
        try:
            self.api_key()
        except TokenvendError:
            pass  # the fetch logged why; the first request tries again
        except Exception as error:  # noqa: BLE001 - a background thread must not die loudly
            self._log.emit(
                "WARNING",
                "API key prefetch failed; the first request will try again",
                error=type(error).__name__,
            )

    def _after_fork_in_child(self) -> None:
        # The prefetch thread does not exist in the child; if it still held the lock at the
        # fork, the child's copy would stay locked forever.
        self._lock = threading.Lock()
        self._prefetch_thread = None

    def api_key(self) -> str:
        key = self._key
        if key is not None and self._clock.monotonic_seconds() < self._next_refresh_at_seconds:
            return key
        with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            now = self._clock.monotonic_seconds()
            if self._key is not None and now < self._next_refresh_at_seconds:
                return self._key
            failure = self._failure
            pause_ends_at_seconds = self._failed_at_seconds + self._retry_after_failure_seconds
            if isinstance(failure, Unavailable) and now < pause_ends_at_seconds:
                # No usable key, and a fetch failed moments ago (maybe while this request
                # waited for it): answer with that failure rather than ask again, so an
                # outage costs Secret Manager one call per pause, not one per request.
                raise Unavailable(
                    failure.public_message,
                    reason=failure.reason,
                    retry_after_seconds=failure.retry_after_seconds,
                )
            return self._refresh(now)

    def _refresh(self, now: float) -> str:
        self._failure = None
        try:
            key = self._fetch()
        except TokenvendError as error:
            self._failure = error
            self._failed_at_seconds = self._clock.monotonic_seconds()
            stale = self._key
            age_seconds = now - self._fetched_at_seconds
            if stale is None or age_seconds > self._ttl_seconds + self._grace_seconds:
                raise
            self._next_refresh_at_seconds = now + self._retry_after_failure_seconds
            self._log.emit(
                "WARNING",
                "API key refresh failed; serving the last good key",
                reason=error.reason,
                key_age_seconds=round(age_seconds),
                grace_seconds=self._grace_seconds,
            )
            return stale
        self._key = key
        self._fetched_at_seconds = now
        self._next_refresh_at_seconds = now + self._ttl_seconds
        return key
