"""An in-memory ``QuotaStore`` for the engine's logic, which can be told to fail."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.quotas.store import Change


class MemoryStore:
    def __init__(self) -> None:
        self.counts_by_name: dict[str, int] = {}
        self.expiry: dict[str, datetime] = {}
        self.switches: dict[str, bool] = {}
        self.failure: QuotaStoreUnavailable | None = None
        self.commits = 0
        self.reads = 0
        self.pause_reads = 0
        self.writes: Counter[str] = Counter()
        # Called inside add (outside the lock), e.g. to let another thread in between.
        self.before_add: Callable[[Sequence[Change]], None] = lambda _changes: None
        self.before_read: Callable[[], None] = lambda: None
        self._lock = threading.Lock()

    @property
    def failing(self) -> bool:
        return self.failure is not None

    @failing.setter
    def failing(self, value: bool) -> None:
        self.failure = QuotaStoreUnavailable("the test turned the store off") if value else None

    def add(self, changes: Sequence[Change]) -> tuple[int, ...]:
        self.before_add(changes)
        self._maybe_fail()
        with self._lock:
            self.commits += 1
            for change in changes:
                self.counts_by_name[change.counter] = (
                    self.counts_by_name.get(change.counter, 0) + change.amount
                )
                self.expiry[change.counter] = change.expire_at
                self.writes[change.counter] += 1
            return tuple(self.counts_by_name[change.counter] for change in changes)

    def counts(self, counters: Sequence[str]) -> tuple[int, ...]:
        self._maybe_fail()
        with self._lock:
            self.reads += 1
            return tuple(self.counts_by_name.get(counter, 0) for counter in counters)

    def paused(self, profile: str) -> bool:
        self.before_read()
        self._maybe_fail()
        self.pause_reads += 1
        return self.switches.get(profile, False)

    def set_paused(self, profile: str, paused: bool) -> None:
        self._maybe_fail()
        self.switches[profile] = paused

    def total(self, prefix: str) -> int:
        """The sum of every count whose counter starts with ``prefix``."""
        with self._lock:
            return sum(n for name, n in self.counts_by_name.items() if name.startswith(prefix))

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise QuotaStoreUnavailable(self.failure.detail, busy=self.failure.busy)
