"""The seam between the quota logic and where counters live: ``QuotaStore``.

``FirestoreStore`` is the one implementation the function uses; the tests run one
contract suite against it twice, with Google's Firestore emulator and with a small
loopback fake of the same REST calls. Every method raises ``QuotaStoreUnavailable``
(never anything else) when the store cannot answer within its deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

COUNTERS = "tokenvend_counters"
PROFILES = "tokenvend_profiles"


class QuotaStore(Protocol):
    """Where counters and kill switches live; it raises only QuotaStoreUnavailable."""

    def increment(self, counter: str, expire_at: datetime) -> int:
        """Adds one to the counter document and returns the new count, atomically.

        ``expire_at`` is written beside the count for the TTL policy that deletes old
        windows.
        """
        ...

    def paused(self, profile: str) -> bool:
        """Whether the kill switch of ``profile`` is on (a missing document: off)."""
        ...

    def set_paused(self, profile: str, paused: bool) -> None:
        """Turns the kill switch of ``profile`` on or off."""
        ...


def counter_id(profile: str, scope: str, per_seconds: int, start: int, key: str = "") -> str:
    """The document id of one window's counter; ``key`` is a hash, never raw."""
    name = f"{profile}.{scope}.{per_seconds}s.{start}"
    return f"{name}.{key}" if key else name
