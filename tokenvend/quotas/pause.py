"""The kill switch as one instance sees it: the store's ``paused`` flag, cached.

Every instance reads ``tokenvend_profiles/<profile>`` at most once per ``ttl_seconds``
(10 s), so a pause or resume takes effect everywhere within that time while costing
one read per instance per 10 s, not one per token; while one request reads, the others
use what was last read. A failed read changes nothing that is known:

- a profile last read as paused stays paused until a read succeeds and says otherwise,
  whatever the store answers or fails to answer meanwhile;
- a profile last read as running stays running for ``trust_seconds`` (60 s) after that
  read; past it, or before any read succeeded, the switch is unknown and
  ``when_store_unavailable`` decides: ``refuse`` answers 503, ``allow`` serves.

A failed read is tried again after the store's pause (``StoreHealth``), not on every
request. The switch stands on its own: anything with a store can ask it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tokenvend.clock import Clock
from tokenvend.errors import ProfilePaused, QuotaStoreUnavailable
from tokenvend.quotas.health import StoreHealth
from tokenvend.quotas.store import QuotaStore

PAUSE_CACHE_SECONDS = 10.0
TRUST_RUNNING_SECONDS = 60.0
# Longer than any store call's deadline: only a stuck thread would make a request wait it.
READ_WAIT_SECONDS = 30.0


class PauseSwitch:
    """One profile's kill switch, read from the store at most once per ``ttl_seconds``."""

    def __init__(
        self,
        store: QuotaStore,
        profile: str,
        *,
        clock: Clock,
        refuse_when_unknown: bool,
        health: StoreHealth | None = None,
        on_failure: Callable[[QuotaStoreUnavailable], None] = lambda _error: None,
        ttl_seconds: float = PAUSE_CACHE_SECONDS,
        trust_seconds: float = TRUST_RUNNING_SECONDS,
    ) -> None:
        self._store = store
        self._profile = profile
        self._clock = clock
        self._refuse = refuse_when_unknown
        self._health = health or StoreHealth(clock)
        self._on_failure = on_failure
        self._ttl = ttl_seconds
        self._trust = trust_seconds
        self._changed = threading.Condition()
        self._paused: bool | None = None  # None: never read successfully
        self._read_at = 0.0
        self._reading = False
        self._failure: QuotaStoreUnavailable | None = None

    def check(self) -> None:
        """Returns when minting may go on; raises ProfilePaused or QuotaStoreUnavailable."""
        now = self._clock.monotonic_seconds()
        with self._changed:
            read = not self._reading and (self._paused is None or now - self._read_at >= self._ttl)
            if not read and self._paused is None:
                # The first read is under way (a cold start): its answer is the one to use.
                self._changed.wait_for(lambda: not self._reading, timeout=READ_WAIT_SECONDS)
            self._reading = self._reading or read
        if read:
            self._read(now)
        with self._changed:
            paused, age, failure = self._paused, now - self._read_at, self._failure
        if paused:
            raise ProfilePaused()
        if (paused is None or age >= self._trust) and self._refuse:
            # A copy: one exception raised in many threads would collect all their tracebacks.
            detail = failure.detail if failure else "the kill switch could not be read"
            raise QuotaStoreUnavailable(detail, busy=failure.busy if failure else False)

    def _read(self, now: float) -> None:
        paused: bool | None = None
        failure: QuotaStoreUnavailable | None = None
        try:
            self._health.check()
            try:
                paused = self._store.paused(self._profile)
            except QuotaStoreUnavailable:
                self._health.failed()
                raise
        except QuotaStoreUnavailable as error:
            failure = error
            self._on_failure(error)
        else:
            self._health.answered()
        with self._changed:
            if paused is not None:
                self._paused, self._read_at = paused, now
            self._failure, self._reading = failure, False
            self._changed.notify_all()


class _NothingTaken:
    def give_back(self) -> None:
        """Nothing was counted, so there is nothing to give back."""


class PauseGate:
    """The ``QuotaCheck`` of a profile without quotas that reads the kill switch.

    It counts nothing: a request is refused only while the profile is paused. When the
    switch cannot be read, a profile last read as paused stays paused and one read as
    running, or never read, serves (it has no limits to protect), with a warning.
    """

    def __init__(self, switch: PauseSwitch) -> None:
        self.switch = switch

    def admit(self, caller: object, forwarded_for: object, remote_addr: object) -> _NothingTaken:
        self.switch.check()
        return _NothingTaken()
