"""The kill switch as one instance sees it: the store's ``paused`` flag, cached.

Every instance reads ``tokenvend_profiles/<profile>`` at most once per ``ttl_seconds``
(10 s), so a pause or resume takes effect everywhere within that time while costing
one read per instance per 10 s, not one per token. A failed read is not cached: the
next request tries again.
"""

from __future__ import annotations

import threading

from tokenvend.clock import Clock
from tokenvend.quotas.store import QuotaStore

PAUSE_CACHE_SECONDS = 10.0


class PauseSwitch:
    """One profile's kill switch, read from the store at most once per ``ttl_seconds``."""

    def __init__(
        self,
        store: QuotaStore,
        profile: str,
        *,
        clock: Clock,
        ttl_seconds: float = PAUSE_CACHE_SECONDS,
    ) -> None:
        self._store = store
        self._profile = profile
        self._clock = clock
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._paused = False
        self._read_at: float | None = None

    def paused(self) -> bool:
        """Whether the profile is paused; raises QuotaStoreUnavailable if unknown."""
        now = self._clock.monotonic_seconds()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._ttl:
                return self._paused
        value = self._store.paused(self._profile)
        with self._lock:
            self._paused, self._read_at = value, now
        return value
