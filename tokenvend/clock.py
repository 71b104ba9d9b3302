"""Where tokenvend reads the time: one small seam, so tests can pin it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time for expiries and quota windows, monotonic time for deadlines and ages."""

    def now(self) -> datetime:
        """The current time as a timezone-aware UTC datetime."""
        ...

    def monotonic_seconds(self) -> float:
        """Seconds on a clock that never goes back, for ages and deadlines."""
        ...


class SystemClock:
    """The machine's clocks; tests pass a clock they can set instead."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic_seconds(self) -> float:
        return time.monotonic()
