"""One thread that ends request-body reads at their deadline, whatever the server reads.

gunicorn's body reader and the development server's socket file each wait until they
hold as many bytes as they were asked for, and every socket read restarts the socket's
timeout, so a client that sends one byte a second keeps one such read going for as
long as its body is long. ``ReadDeadlines`` keeps the deadline of every body being
read; when one passes, it shuts the read side of that socket down, which ends the
blocked read at once (it returns what came so far, or fails), and the body stream then
answers 408. Watching a body costs a heap push, not a thread per request.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time


class Watch:
    """One body's socket while it is read; ``expired`` once its deadline ended the read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.active = True
        self.expired = False

    def expire(self) -> None:
        self.active = False
        self.expired = True
        with contextlib.suppress(OSError):  # the client closed it already
            self.sock.shutdown(socket.SHUT_RD)


class ReadDeadlines:
    """The deadlines of the bodies being read, and the thread that enforces them."""

    def __init__(self) -> None:
        self._reset()
        # gunicorn forks its worker after main.py is loaded: the worker starts afresh.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._wakeup = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> Watch:
        """Shuts ``sock``'s read side at ``deadline`` (time.monotonic) unless released first."""
        watch = Watch(sock)
        with self._wakeup:
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tokenvend-read-deadlines", daemon=True
                )
                self._thread.start()
            self._wakeup.notify()
        return watch

    def release(self, watch: Watch) -> None:
        """The body was read or is no longer wanted: its socket is left alone from now on."""
        with self._wakeup:
            watch.active = False

    def _run(self) -> None:
        with self._wakeup:
            while True:
                while self._heap and not self._heap[0][2].active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wakeup.wait()
                    continue
                wait_seconds = self._heap[0][0] - time.monotonic()
                if wait_seconds > 0:
                    self._wakeup.wait(wait_seconds)
                    continue
                # Under the lock: a body released before this point is never shut down,
                # so a kept-alive connection's next request cannot be cut.
                heapq.heappop(self._heap)[2].expire()


READ_DEADLINES = ReadDeadlines()
