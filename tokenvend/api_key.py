"""Where the Gemini API key comes from, and how long one fetch is reused.

Deployed functions read the key from Secret Manager; a local run may take it from
``GEMINI_API_KEY``. The cache holds one key per instance for a TTL, lets a single caller
refresh it while concurrent requests wait for that one fetch, and keeps serving the last
good key for a bounded grace time when a refresh fails, so a Secret Manager blip does
not become an outage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from tokenvend.clock import Clock
from tokenvend.errors import TokenvendError, Unavailable
from tokenvend.logs import StructuredLog


class ApiKeySource(Protocol):
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
    """No key configured: every request is answered 503, saying how to configure one."""

    def api_key(self) -> str:
        raise Unavailable(
            "no API key configured: set TOKENVEND_API_KEY_SECRET (deployed functions) "
            "or GEMINI_API_KEY (local runs)",
            reason="no_api_key",
        )


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
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._log = log
        self._ttl_seconds = ttl_seconds
        self._grace_seconds = grace_seconds
        self._retry_after_failure_seconds = retry_after_failure_seconds
        self._lock = threading.Lock()
        self._key: str | None = None
        self._fetched_at = 0.0
        self._next_refresh_at = 0.0

    def api_key(self) -> str:
        key = self._key
        if key is not None and self._clock.monotonic_seconds() < self._next_refresh_at:
            return key
        with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            now = self._clock.monotonic_seconds()
            if self._key is not None and now < self._next_refresh_at:
                return self._key
            return self._refresh(now)

    def _refresh(self, now: float) -> str:
        try:
            key = self._fetch()
        except TokenvendError as error:
            stale = self._key
            if stale is None or now - self._fetched_at > self._ttl_seconds + self._grace_seconds:
                raise
            self._next_refresh_at = now + self._retry_after_failure_seconds
            self._log.emit(
                "WARNING",
                "API key refresh failed; serving the last good key",
                reason=error.reason,
                key_age_seconds=round(now - self._fetched_at),
                grace_seconds=self._grace_seconds,
            )
            return stale
        self._key = key
        self._fetched_at = now
        self._next_refresh_at = now + self._ttl_seconds
        return key
