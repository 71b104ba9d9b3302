"""The seam between the quota logic and where counts live: ``QuotaStore``.

A counter is one document with an integer ``count``. The engine only ever adds to
counts (a negative amount gives tokens back) and reads them; it never sets one, so
any number of instances can work on the same counters without a transaction.
``FirestoreStore`` is the one implementation the function uses; the tests run one
contract suite against it twice, with Google's Firestore emulator and with a small
loopback fake of the same REST calls. Every method raises ``QuotaStoreUnavailable``
(never anything else) when the store cannot answer within its deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

COUNTERS = "tokenvend_counters"
PROFILES = "tokenvend_profiles"


@dataclass(frozen=True)
class Change:
    """Add ``amount`` to the ``count`` of counter ``counter`` (which expires at ``expire_at``)."""

    counter: str
    amount: int
    expire_at: datetime


class QuotaStore(Protocol):
    """Where counters and kill switches live; it raises only QuotaStoreUnavailable."""

    def add(self, changes: Sequence[Change]) -> tuple[int, ...]:
        """Applies every change in one atomic commit and returns the new counts, in order.

        A counter never written counts from 0. ``expire_at`` is written beside the count
        for the TTL policy that deletes old windows. No two changes name one counter.
        """
        ...

    def counts(self, counters: Sequence[str]) -> tuple[int, ...]:
        """The current counts of ``counters`` (0 for one never written), in one read."""
        ...

    def paused(self, profile: str) -> bool:
        """Whether the kill switch of ``profile`` is on (a missing document: off)."""
        ...

    def set_paused(self, profile: str, paused: bool) -> None:
        """Turns the kill switch of ``profile`` on or off."""
        ...


def counter_id(profile: str, scope: str, per_seconds: int, start: int, key: str = "") -> str:
    """The document id of one window's counter; ``key`` is a hash or a shard, never raw."""
    name = f"{profile}.{scope}.{per_seconds}s.{start}"
    return f"{name}.{key}" if key else name
