"""Fixed windows: ``[k * per_seconds, (k + 1) * per_seconds)`` seconds since the epoch.

Every instance computes the same window from its clock alone, so the window's number
can be part of the counter's document name and no instance has to agree with another
on when a window began.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Window:
    """One fixed window, ``[start, end)`` in whole seconds since the epoch."""

    start: int  # seconds since the epoch
    end: int

    @classmethod
    def at(cls, now: datetime, per_seconds: int) -> Window:
        start = int(now.timestamp()) // per_seconds * per_seconds
        return cls(start, start + per_seconds)

    @property
    def end_time(self) -> datetime:
        return datetime.fromtimestamp(self.end, UTC)

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the window ends, at least 1: the ``Retry-After``."""
        return max(1, math.ceil(self.end - now.timestamp()))
