"""The quota check on the request path: kill switch first, then each limit in order.

A request reaches the gate once it passed the origin, caller and option checks, so
only requests that would otherwise be minted count. Each limit is one atomic
increment of its window's counter; a count above the limit refuses with 429 and the
seconds to the window's end. Limits run in order, ``per_caller`` first, and a request
refused by one is not counted against the next: a caller hammering its own limit does
not use up the profile's.

When the store fails, the policy decides: ``refuse`` answers 503, ``allow`` serves
uncounted. Either way the cause is logged, at most once per window of the shortest
limit per instance, so an outage does not write a warning per token.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from tokenvend import reasons
from tokenvend.callers.caller import Caller
from tokenvend.clock import Clock
from tokenvend.errors import ProfilePaused, QuotaExhausted, QuotaStoreUnavailable
from tokenvend.logs import StructuredLog
from tokenvend.policy.model import Limit, Quotas
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.pause import PauseSwitch
from tokenvend.quotas.store import QuotaStore, counter_id
from tokenvend.quotas.windows import Window

_MESSAGES = {
    "caller": "you have used up your tokens for now; retry later",
    "profile": "this service has used up its tokens for now; retry later",
}
_REASONS = {"caller": reasons.QUOTA_EXHAUSTED_CALLER, "profile": reasons.QUOTA_EXHAUSTED_PROFILE}


@dataclass(frozen=True)
class _Scoped:
    scope: str  # "caller" or "profile"
    limit: Limit


class QuotaGate:
    """The ``QuotaCheck`` of one profile: the kill switch, then each limit's counter."""

    def __init__(
        self,
        profile: str,
        quotas: Quotas,
        *,
        store: QuotaStore,
        keys: CallerKeys,
        clock: Clock,
        log: StructuredLog,
    ) -> None:
        self._profile = profile
        self._refuse = quotas.when_store_unavailable == "refuse"
        self._limits = tuple(
            _Scoped(scope, limit)
            for scope, limit in (("caller", quotas.per_caller), ("profile", quotas.per_profile))
            if limit is not None
        )
        self._store = store
        self._keys = keys
        self._clock = clock
        self._log = log
        self._pause = PauseSwitch(store, profile, clock=clock)
        self._warn_every = min(scoped.limit.per_seconds for scoped in self._limits)
        self._warned_window: int | None = None
        self._warn_lock = threading.Lock()

    def admit(self, caller: Caller, forwarded_for: Iterable[str], remote_addr: str | None) -> None:
        """Counts the request, or raises 429 (over a limit) or 503 (paused, no store)."""
        try:
            if self._pause.paused():
                raise ProfilePaused()
            now = self._clock.now()
            for scoped in self._limits:
                window = Window.at(now, scoped.limit.per_seconds)
                key = ""
                if scoped.scope == "caller":
                    key = self._keys.key(caller, forwarded_for, remote_addr)
                counter = counter_id(
                    self._profile, scoped.scope, scoped.limit.per_seconds, window.start, key
                )
                count = self._store.increment(counter, window.end_time)
                if count > scoped.limit.tokens:
                    raise QuotaExhausted(
                        _MESSAGES[scoped.scope],
                        reason=_REASONS[scoped.scope],
                        retry_after_seconds=window.seconds_left(now),
                    )
        except QuotaStoreUnavailable as error:
            self._warn_once(error)
            if self._refuse:
                raise
            # when_store_unavailable: allow: serve uncounted

    def _warn_once(self, error: QuotaStoreUnavailable) -> None:
        window = Window.at(self._clock.now(), self._warn_every).start
        with self._warn_lock:
            if self._warned_window == window:
                return
            self._warned_window = window
        action = "refusing (503)" if self._refuse else "serving uncounted"
        self._log.emit(
            "WARNING",
            f"quota store unavailable, {action} until it answers: {error.detail}",
            profile=self._profile,
            reason=reasons.QUOTA_STORE_UNAVAILABLE,
        )
