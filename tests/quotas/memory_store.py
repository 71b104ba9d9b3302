"""An in-memory ``QuotaStore`` for the gate's logic, which can be told to fail."""

from __future__ import annotations

from datetime import datetime

from tokenvend.errors import QuotaStoreUnavailable


class MemoryStore:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.expiry: dict[str, datetime] = {}
        self.switches: dict[str, bool] = {}
        self.failing = False
        self.increments = 0
        self.pause_reads = 0

    def increment(self, counter: str, expire_at: datetime) -> int:
        self._maybe_fail()
        self.increments += 1
        self.counts[counter] = self.counts.get(counter, 0) + 1
        self.expiry[counter] = expire_at
        return self.counts[counter]

    def paused(self, profile: str) -> bool:
        self._maybe_fail()
        self.pause_reads += 1
        return self.switches.get(profile, False)

    def set_paused(self, profile: str, paused: bool) -> None:
        self._maybe_fail()
        self.switches[profile] = paused

    def _maybe_fail(self) -> None:
        if self.failing:
            raise QuotaStoreUnavailable("the test turned the store off")
