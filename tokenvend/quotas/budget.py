"""The per-profile limit, served from a block of tokens this instance leased from a shard.

A request takes a token from the block the instance holds, in memory, without a
round trip. When the block is empty, one request leases the next (the others wait for
it): one commit adds the block's size to a shard's ``count``; the part of the block
that fits under the shard's cap is granted, the rest is given back at once. Counting
this way never grants more than a shard's cap, across any number of instances, so a
window never serves more than its limit.

A block covers about ``LEASE_SECONDS`` of this instance's own recent demand (at least
one token, at most ``GROWTH`` times the block before, never more than the window still
needs), so an instance leases about once per 10 s however many tokens it mints.
Each instance starts on a shard of its own choosing; when that shard is empty, one
``batchGet`` of every shard finds one with room. When none has room, requests are
refused from memory, and the shards are looked at again at most every
``PROBE_SECONDS`` in case instances that stopped gave tokens back.

Unused tokens go back with ``release`` (a graceful shutdown) and one at a time with
``give_back`` (Gemini failed, so the token was not minted). A block held by an instance
that dies without shutting down, or when its window ends, is lost for that window.
"""

from __future__ import annotations

import math
import os
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime

from tokenvend import reasons
from tokenvend.clock import Clock
from tokenvend.errors import QuotaExhausted, QuotaStoreUnavailable
from tokenvend.quotas.health import StoreHealth
from tokenvend.quotas.lease import Lease, ShardLeaser
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.store import Change, QuotaStore
from tokenvend.quotas.windows import Window

LEASE_SECONDS = 10.0
GROWTH = 32
PROBE_SECONDS = 10.0
# Leases closer together than this go to the next shard, not the same one.
SPREAD_SECONDS = 1.0
# After every shard tried was busy, leasing rests this long (requests meanwhile: the policy).
BUSY_REST_SECONDS = 1.0
# Longer than any lease takes (a read and two commits, each under its deadline).
WAIT_SECONDS = 30.0
EXHAUSTED_MESSAGE = "this service has used up its tokens for now; retry later"


@dataclass(frozen=True)
class Draw:
    """One token taken from a block: the window and the shard it belongs to."""

    window_start: int
    shard: int


@dataclass
class _Held:
    """What this instance holds of one window."""

    window: Window
    home: int
    tokens: dict[int, int] = field(default_factory=dict)  # shard: tokens held
    rooms: dict[int, int] = field(default_factory=dict)  # shard: room when last seen
    probe_after: float | None = None  # every shard was empty: look again no sooner


class ProfileBudget:
    """One profile's per-profile limit as this instance serves it."""

    def __init__(
        self,
        shards: Shards,
        *,
        store: QuotaStore,
        clock: Clock,
        health: StoreHealth,
        rng: random.Random | None = None,
    ) -> None:
        self._shards = shards
        self._store = store
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - spreading load, not a secret
        self._leaser = ShardLeaser(shards, store=store, health=health, rng=self._rng)
        self._changed = threading.Condition()
        self._held: _Held | None = None
        self._home = self._rng.randrange(shards.count)
        self._leasing = False
        self._leases = 0  # leases finished, so that waiters see theirs end
        self._failure: QuotaStoreUnavailable | None = None
        self._waiting = 0
        self._served = 0  # tokens drawn, less those given back: the demand estimate
        self._served_at_lease = 0
        self._leased_at: float | None = None
        self._last_block = 1
        self._busy_until = 0.0  # no lease before this: the shards were found busy
        self._alone = (0, 0)  # (window start, tokens served uncounted), with ``allow``
        self._pid = os.getpid()

    def take(self) -> Draw:
        """A token of the current window; QuotaExhausted or QuotaStoreUnavailable if none."""
        if self._pid != os.getpid():
            # A gunicorn worker forked from the process that built this: its own draws.
            self._pid = os.getpid()
            self._rng.seed()
            self._home = self._rng.randrange(self._shards.count)
        now = self._clock.now()
        window = Window.at(now, self._shards.per_seconds)
        while True:
            with self._changed:
                draw = self._draw(window, now)
                if draw is not None:
                    return draw
                self._leasing = True
                size = self._block_size(window.seconds_left(now))
                held = self._held_in(window)
                home, rooms = self._next_home(held), dict(held.rooms)
            leased: Lease | None = None
            failure: QuotaStoreUnavailable | None = None
            try:
                leased = self._leaser.lease(window, home, rooms, size)
            except QuotaStoreUnavailable as error:
                failure = error
            with self._changed:
                self._settle(window, leased, failure)

    def _draw(self, window: Window, now: datetime) -> Draw | None:
        """A token from the block, waiting for a lease under way; None: lease one."""
        while True:
            held = self._held_in(window)
            shard = next((s for s, count in held.tokens.items() if count > 0), None)
            if shard is not None:
                held.tokens[shard] -= 1
                self._served += 1
                return Draw(window.start, shard)
            if held.probe_after is not None and self._clock.monotonic_seconds() < held.probe_after:
                raise _exhausted(window, now)
            if self._leasing:
                self._wait_for_lease()
                continue
            if self._clock.monotonic_seconds() < self._busy_until:
                raise QuotaStoreUnavailable("not tried: the shards were busy a moment ago")
            return None

    def serve_alone(self, now: datetime) -> None:
        """Counts one token in memory only (the store is unavailable and the policy says
        ``allow``): this instance alone serves at most the limit per window."""
        window = Window.at(now, self._shards.per_seconds)
        with self._changed:
            start, served = self._alone
            served = served if start == window.start else 0
            if served >= self._shards.tokens:
                raise _exhausted(window, now)
            self._alone = (window.start, served + 1)

    def give_back(self, draw: Draw) -> None:
        """Puts a token that was not minted back into the block (no round trip)."""
        with self._changed:
            held = self._held
            if held is not None and held.window.start == draw.window_start:
                held.tokens[draw.shard] = held.tokens.get(draw.shard, 0) + 1
                self._served -= 1

    def release(self) -> int:
        """Gives every token held back to its shard, in one commit; how many went back."""
        window = Window.at(self._clock.now(), self._shards.per_seconds)
        with self._changed:
            held, self._held = self._held, None
        if held is None or held.window != window:
            return 0
        changes = [
            Change(self._shards.counter(window.start, shard), -count, window.end_time)
            for shard, count in sorted(held.tokens.items())
            if count > 0
        ]
        if changes:
            self._store.add(changes)
        return sum(-change.amount for change in changes)

    def _held_in(self, window: Window) -> _Held:
        if self._held is None or self._held.window != window:
            # Tokens held for a window that ended expired with it.
            self._held = _Held(window, home=self._home)
        return self._held

    def _wait_for_lease(self) -> None:
        leases = self._leases
        self._waiting += 1
        try:
            ended = self._changed.wait_for(lambda: self._leases != leases, WAIT_SECONDS)
        finally:
            self._waiting -= 1
        if not ended:
            raise QuotaStoreUnavailable("no block of tokens in time", busy=True)
        if self._failure is not None:
            # A copy: one exception raised in many threads would collect all their tracebacks.
            raise QuotaStoreUnavailable(self._failure.detail, busy=self._failure.busy)

    def _next_home(self, held: _Held) -> int:
        """The shard to lease from: the last one, or the next while the blocks still
        grow (leases less than a second apart), so a flood's first blocks spread."""
        now = self._clock.monotonic_seconds()
        if self._leased_at is not None and now - self._leased_at < SPREAD_SECONDS:
            return (held.home + 1) % self._shards.count
        return held.home

    def _block_size(self, seconds_left: int) -> int:
        now = self._clock.monotonic_seconds()
        want = 1
        if self._leased_at is not None:
            rate = (self._served - self._served_at_lease) / max(now - self._leased_at, 0.001)
            want = math.ceil(rate * min(LEASE_SECONDS, seconds_left))
        return max(1, self._waiting + 1, min(want, self._last_block * GROWTH))

    def _settle(
        self, window: Window, leased: Lease | None, failure: QuotaStoreUnavailable | None
    ) -> None:
        held = self._held
        if held is None or held.window != window:
            pass  # the window ended during the lease: what it granted expired with it
        elif failure is not None:
            if failure.busy:
                # Shards Firestore finds busy get a rest: leasing again at once, in
                # smaller blocks, would only keep them busy.
                held.home = self._home = self._rng.randrange(self._shards.count)
                self._busy_until = self._clock.monotonic_seconds() + BUSY_REST_SECONDS
        elif leased is None:
            held.rooms = dict.fromkeys(range(self._shards.count), 0)
            held.probe_after = self._clock.monotonic_seconds() + PROBE_SECONDS
        else:
            self._leased_at = self._clock.monotonic_seconds()
            self._served_at_lease, self._last_block = self._served, leased.wanted
            held.tokens[leased.shard] = held.tokens.get(leased.shard, 0) + leased.granted
            held.home = self._home = leased.shard
            held.rooms = leased.rooms
            held.probe_after = None
        self._leasing, self._failure = False, failure
        self._leases += 1
        self._changed.notify_all()
        if failure is not None:
            raise failure


def _exhausted(window: Window, now: datetime) -> QuotaExhausted:
    return QuotaExhausted(
        EXHAUSTED_MESSAGE,
        reason=reasons.QUOTA_EXHAUSTED_PROFILE,
        retry_after_seconds=window.seconds_left(now),
    )
