"""What one instance remembers of each caller in the current window of ``per_caller``.

Two things, in memory and bounded:

- ``full``: the caller's counter reached its limit. Its further requests on this
  instance are refused from memory until the window ends, without a Firestore write
  each, so a caller hammering its limit costs nothing more than a caller at rest.
- ``here``: the tokens this instance served the caller in the window, counted or not.
  With ``when_store_unavailable: allow`` and the caller's count unavailable, the caller
  is served uncounted only while ``here`` is under the limit: each instance then
  enforces the limit on its own.

At most ``MAX_CALLERS`` callers are remembered, the least recently seen forgotten
first; a forgotten caller costs one write when it comes back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_CALLERS = 10_000


@dataclass
class CallerEntry:
    """One caller in one window, as this instance knows it.

    ``turn`` is held while the caller's counter is being written: a caller's requests on
    one instance count one after the other, so that however many arrive at once, the
    instance writes once more after the limit is reached, not once per request.
    """

    window_start: int
    full: bool = False
    here: int = 0
    turn: threading.Lock = field(default_factory=threading.Lock, repr=False)


class CallerBook:
    """The callers this instance saw lately; every change goes through its lock."""

    def __init__(self, max_callers: int = MAX_CALLERS) -> None:
        self._entries: OrderedDict[str, CallerEntry] = OrderedDict()
        self._max = max_callers
        self._lock = threading.Lock()

    def entry(self, key: str, window_start: int) -> CallerEntry:
        """The caller's entry for the window, a fresh one if the window is new."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.window_start != window_start:
                entry = self._entries[key] = CallerEntry(window_start)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
            return entry

    def served(self, entry: CallerEntry, *, count: int | None, limit: int) -> None:
        """One token served; ``count`` is the caller's new count, None if uncounted."""
        with self._lock:
            entry.here += 1
            if count is not None and count >= limit:
                entry.full = True

    def serve_alone(self, entry: CallerEntry, limit: int) -> bool:
        """Counts one uncounted token here if this instance alone is under the limit."""
        with self._lock:
            if entry.here >= limit:
                return False
            entry.here += 1
            return True

    def refused(self, entry: CallerEntry) -> None:
        with self._lock:
            entry.full = True

    def given_back(self, entry: CallerEntry, *, count: int | None, limit: int) -> None:
        """A token not minted after all; ``count`` is the new count, if it was read."""
        with self._lock:
            entry.here = max(entry.here - 1, 0)
            if count is not None:
                entry.full = count >= limit
