"""Whether the store was just found down: then, for a moment, nothing waits for it.

A store that is down (unreachable, refusing, answering nonsense) would otherwise cost
every request its full deadline. After such a failure no call is tried for one
second, then two, four, up to eight while it keeps failing; the first answer resets
it. A caller's own busy counter never counts here: a caller could otherwise take the
store away from everybody by hammering its own document.
"""

from __future__ import annotations

import threading

from tokenvend.clock import Clock
from tokenvend.errors import QuotaStoreUnavailable

FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 8.0


class StoreHealth:
    """Shared by the kill switch, the profile's budget and the caller counts of one gate."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._pause = FIRST_PAUSE_SECONDS

    def check(self) -> None:
        """Raises QuotaStoreUnavailable while the store is taken for down."""
        if self._clock.monotonic_seconds() < self._down_until:
            raise QuotaStoreUnavailable("not tried: Firestore failed a moment ago")

    def failed(self) -> None:
        with self._lock:
            self._down_until = self._clock.monotonic_seconds() + self._pause
            self._pause = min(self._pause * 2, LONGEST_PAUSE_SECONDS)

    def answered(self) -> None:
        with self._lock:
            self._down_until = 0.0
            self._pause = FIRST_PAUSE_SECONDS
