"""One lease: a block of tokens taken from a shard, in one commit, never past its cap.

The commit adds the block's size to the shard's ``count`` and answers the new count,
so every lease gets a range of the count of its own, however many instances lease at
once; the part of the range under the shard's cap is granted, the rest given back at
once. ``rooms`` carries what each shard had left when last seen, and a block is never
asked larger than that, so a lease past a cap happens only when instances race. Once
a shard was found empty, the shards are read (one ``batchGet``, no write) before
another is chosen: the instances competing for a budget's last tokens find them by
reads. A shard Firestore finds busy is left for another at once.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.quotas.health import StoreHealth
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.store import Change, QuotaStore
from tokenvend.quotas.windows import Window

# Shards tried in a row (found empty, or busy) before a lease gives up.
LEASE_ATTEMPTS = 3


@dataclass(frozen=True)
class Lease:
    """What a lease got: ``granted`` tokens from ``shard``, of the ``wanted``."""

    shard: int
    wanted: int
    granted: int
    rooms: dict[int, int]


class ShardLeaser:
    """Leases blocks from one profile's shards."""

    def __init__(
        self, shards: Shards, *, store: QuotaStore, health: StoreHealth, rng: random.Random
    ) -> None:
        self._shards = shards
        self._store = store
        self._health = health
        self._rng = rng

    def lease(self, window: Window, home: int, rooms: dict[int, int], size: int) -> Lease | None:
        """Up to ``size`` tokens, from ``home`` if it has room; None when no shard has any."""
        self._health.check()
        shard: int | None = home
        busy: set[int] = set()
        for attempt in range(LEASE_ATTEMPTS):
            if (
                shard is None
                or rooms.get(shard) == 0
                or (shard not in rooms and 0 in rooms.values())
            ):
                shard = self._probe(window, rooms, busy)
                if shard is None:
                    return None
            asked = min(size, rooms.get(shard, self._shards.cap(shard)))
            try:
                granted = self._take(window, shard, asked, rooms)
            except QuotaStoreUnavailable as error:
                if not error.busy or attempt == LEASE_ATTEMPTS - 1:
                    raise
                busy.add(shard)
                granted = 0
            if granted:
                return Lease(shard, size, granted, rooms)
            shard = None
        return None

    def _take(self, window: Window, shard: int, size: int, rooms: dict[int, int]) -> int:
        counter = self._shards.counter(window.start, shard)
        (count,) = self._call([Change(counter, size, window.end_time)])
        before = count - size
        granted = max(0, min(size, self._shards.cap(shard) - before))
        rooms[shard] = max(0, self._shards.cap(shard) - before - granted)
        if granted < size:
            # The part over the cap goes back at once, so that tokens given back later
            # (by instances shutting down) can be granted again. If that fails, the
            # shard stays over-counted: fewer tokens, never more.
            with contextlib.suppress(QuotaStoreUnavailable):
                self._call([Change(counter, granted - size, window.end_time)])
        return granted

    def _probe(self, window: Window, rooms: dict[int, int], busy: set[int]) -> int | None:
        """A shard with room, from one read of every shard; None if none has any.

        The choice is random, weighted by room, so that instances reading at the same
        moment spread over the shards left instead of racing for the fullest one.
        """
        try:
            counts = self._store.counts(self._shards.counters(window.start))
        except QuotaStoreUnavailable:
            self._health.failed()
            raise
        rooms.clear()
        rooms.update((n, max(0, self._shards.cap(n) - count)) for n, count in enumerate(counts))
        open_shards = [shard for shard, room in rooms.items() if room > 0 and shard not in busy]
        if not open_shards:
            return None
        return self._rng.choices(open_shards, [rooms[shard] for shard in open_shards])[0]

    def _call(self, changes: list[Change]) -> tuple[int, ...]:
        try:
            counts = self._store.add(changes)
        except QuotaStoreUnavailable as error:
            if not error.busy:  # a busy shard is that shard's trouble, not the store's
                self._health.failed()
            raise
        self._health.answered()
        return counts
