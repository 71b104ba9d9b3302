"""One host's idle kept-alive connections, each handed to one thread at a time.

The pool drops connections idle for longer than front ends keep them, and one the far
end has already closed; a worker forked by gunicorn starts with an empty pool, never
with its parent's sockets, and with a fresh lock: a thread of the parent may have held
the old one as it forked, and that thread does not exist in the child to release it.
The client and the credentials renew their locks on the same hook (forking.py).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, cast

from tokenvend.outbound.connection import _Connection
from tokenvend.outbound.forking import renew_after_fork

# Google's front ends close a kept-alive connection after some idle minutes, a load
# balancer sooner; one idle longer than this is dropped rather than risked.
IDLE_SECONDS = 30.0


class _Pool:
    """One host's idle kept-alive connections, the most recent first.

    A forked worker starts empty: the parent's sockets are not its own to use.
    """

    def __init__(self, connect: Any, max_idle_connections: int) -> None:
        self._connect = connect
        self._max_idle_connections = max_idle_connections
        self._idle: list[tuple[float, _Connection]] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        renew_after_fork(self)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (another thread may have held it), no sockets."""
        self._lock = threading.Lock()
        self._idle = []  # dropped, not closed: the parent may still use them
        self._pid = os.getpid()

    def get(self) -> _Connection:
        now = time.monotonic()
        while True:
            with self._lock:
                if self._pid != os.getpid():  # forked by C code, which runs no fork hook
                    self._idle = []
                    self._pid = os.getpid()
                if not self._idle:
                    break
                since, connection = self._idle.pop()
            if now - since < IDLE_SECONDS and not connection.dropped():
                return connection
            connection.close()
        connection = self._connect()
        return cast(_Connection, connection)

    def put(self, connection: _Connection) -> None:
        if connection.reusable and connection.sock is not None:
            with self._lock:
                if self._pid == os.getpid() and len(self._idle) < self._max_idle_connections:
                    self._idle.append((time.monotonic(), connection))
                    return
        connection.close()
