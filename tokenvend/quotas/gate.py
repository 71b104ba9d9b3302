"""The quota check on the request path: the kill switch, then each limit.

A request reaches the gate once it passed the origin, caller and option checks, so
only requests that would otherwise be minted count. In order:

1. the kill switch (``PauseSwitch``, read at most every 10 s);
2. a caller known to be over ``per_caller`` is refused from memory (``CallerBook``);
3. ``per_profile``: a token from the block this instance holds (``ProfileBudget``),
   usually without a round trip; a request refused here is not counted for its caller;
4. ``per_caller``: one commit adds one to the caller's counter for the window; a count
   over the limit is given back at once, and refuses with 429 and the seconds to the
   window's end. The profile's token goes back into the block.

So a token costs one Firestore round trip with both limits, and a fraction of one with
``per_profile`` alone. ``admit`` returns an ``Admission``: if Gemini then fails, its
``give_back`` takes the caller's one back (one commit) and returns the profile's token
to the block, so nothing is counted that was not minted.

When the store cannot answer, the policy decides. ``refuse``: 503, except that tokens
the instance already holds are served (they are counted). ``allow``: served uncounted,
each instance then enforcing each limit on its own in memory. Either way what is known
is kept: a caller over its limit, a spent profile budget and a paused profile stay
refused. A caller whose own counter Firestore finds written too fast gets 429 (refuse)
or is counted in memory (allow); it never makes the store count as down for others.
The cause is logged at most once per window of the shortest limit per instance.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from tokenvend import reasons
from tokenvend.callers.caller import Caller
from tokenvend.clock import Clock
from tokenvend.errors import QuotaCallerBusy, QuotaExhausted, QuotaStoreUnavailable
from tokenvend.logs import StructuredLog
from tokenvend.policy.model import Limit, Quotas
from tokenvend.quotas.budget import Draw, ProfileBudget
from tokenvend.quotas.caller_book import CallerBook, CallerEntry
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.health import StoreHealth
from tokenvend.quotas.pause import PauseSwitch
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.store import Change, QuotaStore, counter_id
from tokenvend.quotas.windows import Window

CALLER_MESSAGE = "you have used up your tokens for now; retry later"
# Longer than a caller's count and its give-back take, each under the store's deadline.
TURN_WAIT_SECONDS = 30.0


class Admission:
    """What one admitted request took; ``give_back`` returns it (once) if nothing was minted."""

    def __init__(self, give_back: Callable[[], None]) -> None:
        self._give_back: Callable[[], None] | None = give_back

    def give_back(self) -> None:
        give_back, self._give_back = self._give_back, None
        if give_back is not None:
            give_back()


class QuotaGate:
    """The ``QuotaCheck`` of one profile: the kill switch, then each limit."""

    def __init__(
        self,
        profile: str,
        quotas: Quotas,
        *,
        store: QuotaStore,
        keys: CallerKeys,
        clock: Clock,
        log: StructuredLog,
        max_instances: int,
        rng: random.Random | None = None,
    ) -> None:
        self._profile = profile
        self._refuse = quotas.when_store_unavailable == "refuse"
        self._store = store
        self._keys = keys
        self._clock = clock
        self._log = log
        self._health = StoreHealth(clock)
        self.switch = PauseSwitch(
            store,
            profile,
            clock=clock,
            refuse_when_unknown=self._refuse,
            health=self._health,
            on_failure=self._warn_once,
        )
        self._per_caller = quotas.per_caller
        self._book = CallerBook()
        self._budget: ProfileBudget | None = None
        if quotas.per_profile is not None:
            limit = quotas.per_profile
            shards = Shards.of(profile, limit.tokens, limit.per_seconds, max_instances)
            self._budget = ProfileBudget(
                shards, store=store, clock=clock, health=self._health, rng=rng
            )
        limits = [limit for limit in (quotas.per_caller, quotas.per_profile) if limit]
        self._warn_every = min(limit.per_seconds for limit in limits)
        self._warned: set[tuple[int, bool]] = set()
        self._lock = threading.Lock()

    def admit(
        self, caller: Caller, forwarded_for: Iterable[str], remote_addr: str | None
    ) -> Admission:
        """Counts the request, or raises 429 (over a limit) or 503 (paused, no store)."""
        self.switch.check()
        now = self._clock.now()
        turn = None
        if self._per_caller is not None:
            turn = self._turn(
                self._per_caller, self._keys.key(caller, forwarded_for, remote_addr), now
            )
        draw = self._draw(now)
        counted = False
        try:
            if turn is not None:
                counted = self._count(turn, now)
        except BaseException:
            if draw is not None and self._budget:
                self._budget.give_back(draw)
            raise
        return Admission(partial(self._give_back, turn, counted, draw))

    def release(self) -> None:
        """At shutdown: gives the tokens this instance holds back to the profile's budget."""
        if self._budget is None:
            return
        try:
            given = self._budget.release()
        except QuotaStoreUnavailable as error:
            self._log.emit(
                "WARNING",
                f"could not give held tokens back at shutdown: {error.detail}",
                profile=self._profile,
                reason=reasons.QUOTA_STORE_UNAVAILABLE,
            )
            return
        if given:
            self._log.emit(
                "INFO", f"gave {given} unused token(s) back at shutdown", profile=self._profile
            )

    def _draw(self, now: datetime) -> Draw | None:
        if self._budget is None:
            return None
        try:
            return self._budget.take()
        except QuotaStoreUnavailable as error:
            self._warn_once(error)
            if self._refuse:
                raise
        self._budget.serve_alone(now)
        return None

    def _turn(self, limit: Limit, key: str, now: datetime) -> _Turn:
        """The request's place in its caller's window; 429 from memory if over the limit."""
        window = Window.at(now, limit.per_seconds)
        turn = _Turn(
            limit,
            self._book.entry(key, window.start),
            window,
            counter_id(self._profile, "caller", limit.per_seconds, window.start, key),
        )
        if turn.entry.full:
            raise _caller_exhausted(turn, now)
        return turn

    def _count(self, turn: _Turn, now: datetime) -> bool:
        """Adds the request to the caller's counter; False when it went uncounted (allow)."""
        if not turn.entry.turn.acquire(timeout=TURN_WAIT_SECONDS):
            raise QuotaCallerBusy()
        try:
            if turn.entry.full:  # found full by the request this one waited for
                raise _caller_exhausted(turn, now)
            return self._count_now(turn, now)
        finally:
            turn.entry.turn.release()

    def _count_now(self, turn: _Turn, now: datetime) -> bool:
        try:
            self._health.check()
            try:
                (count,) = self._store.add([Change(turn.counter, 1, turn.window.end_time)])
            except QuotaStoreUnavailable as error:
                if not error.busy:
                    self._health.failed()
                raise
        except QuotaStoreUnavailable as error:
            self._warn_once(error)
            if not self._refuse:
                if self._book.serve_alone(turn.entry, turn.limit.tokens):
                    return False
                raise _caller_exhausted(turn, now) from None
            if error.busy:
                raise QuotaCallerBusy() from None
            raise
        self._health.answered()
        if count > turn.limit.tokens:
            self._book.refused(turn.entry)
            self._add_back(turn)
            raise _caller_exhausted(turn, now)
        self._book.served(turn.entry, count=count, limit=turn.limit.tokens)
        return True

    def _add_back(self, turn: _Turn) -> int | None:
        """Takes one back from the caller's counter; its new count, None if that failed."""
        try:
            (count,) = self._store.add([Change(turn.counter, -1, turn.window.end_time)])
        except QuotaStoreUnavailable as error:
            self._warn_once(error)  # the caller may get one token fewer: never one more
            return None
        return count

    def _give_back(self, turn: _Turn | None, counted: bool, draw: Draw | None) -> None:
        if draw is not None and self._budget:
            self._budget.give_back(draw)
        if turn is not None:
            count = self._add_back(turn) if counted else None
            self._book.given_back(turn.entry, count=count, limit=turn.limit.tokens)

    def _warn_once(self, error: QuotaStoreUnavailable) -> None:
        window = Window.at(self._clock.now(), self._warn_every).start
        with self._lock:
            if (window, error.busy) in self._warned:
                return
            self._warned = {key for key in self._warned if key[0] == window}
            self._warned.add((window, error.busy))
        if error.busy:
            what = "quota store busy or slow"
            action = "refusing what it cannot count" if self._refuse else "counting in memory"
        else:
            what = "quota store unavailable"
            action = "refusing (503)" if self._refuse else "serving what each instance counts alone"
        self._log.emit(
            "WARNING",
            f"{what}, {action} until it answers: {error.detail}",
            profile=self._profile,
            reason=reasons.QUOTA_STORE_UNAVAILABLE,
        )


@dataclass(frozen=True)
class _Turn:
    """One request's place in its caller's window of ``per_caller``."""

    limit: Limit
    entry: CallerEntry
    window: Window
    counter: str


def _caller_exhausted(turn: _Turn, now: datetime) -> QuotaExhausted:
    return QuotaExhausted(
        CALLER_MESSAGE,
        reason=reasons.QUOTA_EXHAUSTED_CALLER,
        retry_after_seconds=turn.window.seconds_left(now),
    )
