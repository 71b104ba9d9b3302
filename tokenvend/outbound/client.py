"""``Outbound``: one upstream's connection pools, and the one rule every call to it follows.

A call gets its credentials (``Authorization``), takes a connection from the pool of
its scheme, host and port, and returns the whole answer or raises an OutboundError; a
connection is given back only after a whole answer. A ``repeatable`` call is sent once
more when a kept-alive connection turns out to be closed before anything came back.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

from tokenvend.outbound.answer import Answer, Closed, TimedOut, Unreachable
from tokenvend.outbound.connection import _Connection, _exchange, _TlsConnection
from tokenvend.outbound.credentials import CredentialTransport
from tokenvend.outbound.forking import renew_after_fork
from tokenvend.outbound.pool import _Pool

DEFAULT_CONNECT_TIMEOUT_SECONDS = 2.0


class Authorization(Protocol):
    """Puts the credentials of a call into its headers, refreshing them through ``refresh``."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        """Adds the ``Authorization`` header; raises an OutboundError when it cannot."""
        ...


class Outbound:
    """One upstream's connection pools; ``call`` returns a whole answer or raises OutboundError.

    ``max_idle_connections`` is how many connections each host's pool keeps between
    calls; it does not bound the calls in flight, each of which may open one more.
    """

    def __init__(
        self,
        *,
        max_answer_bytes: int,
        connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        max_idle_connections: int = 4,
        authorization: Authorization | None = None,
    ) -> None:
        self._max_answer_bytes = max_answer_bytes
        self._connect_timeout_seconds = connect_timeout_seconds
        self._max_idle_connections = max_idle_connections
        self._authorization = authorization
        # One pool per scheme, host and port: the upstream and, with credentials, the
        # token and metadata servers.
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._pools_lock = threading.Lock()
        renew_after_fork(self)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock, as another thread may have held this one."""
        self._pools_lock = threading.Lock()  # the pools forget their own (pool.py)

    def call(
        self,
        method: str,
        url: str,
        *,
        deadline: float,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = False,
    ) -> Answer:
        """Sends one request and reads its whole answer before ``deadline`` (time.monotonic).

        A ``repeatable`` call is sent once more, on a new connection, when a kept-alive
        one turns out to be closed before anything came back; any other is Closed then.
        """
        sent_headers = dict(headers) if headers else {}
        if self._authorization is not None:
            refresh = CredentialTransport(self._send, deadline)
            self._authorization.apply(sent_headers, method=method, url=url, refresh=refresh)
        return self._send(
            method, url, body, sent_headers, deadline, self._max_answer_bytes, repeatable
        )

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        deadline: float,
        max_answer_bytes: int,
        repeatable: bool = False,
    ) -> Answer:
        """``call`` without credentials and with a cap of its own, as credentials are fetched."""
        pool, target = self._pool_for(url)
        for attempt in (1, 2):
            if deadline - time.monotonic() <= 0:
                raise TimedOut("the deadline passed before the call")
            connection = pool.get()
            reused = connection.sock is not None
            connection.deadline = deadline
            try:
                answer = _exchange(connection, method, target, body, headers, max_answer_bytes)
            except Closed:
                connection.close()
                if reused and repeatable and attempt == 1:
                    continue
                raise
            except BaseException:
                connection.close()  # the unread rest must not reach the next call
                raise
            pool.put(connection)
            return answer
        raise AssertionError("unreachable")

    def _pool_for(self, url: str) -> tuple[_Pool, str]:
        scheme, _, rest = url.partition("://")
        authority, slash, path = rest.partition("/")
        target = slash + path or "/"
        key = (scheme, authority)
        pool = self._pools.get(key)
        if pool is None:
            with self._pools_lock:
                pool = self._pools.get(key) or self._new_pool(url)
                self._pools[key] = pool
        return pool, target

    def _new_pool(self, url: str) -> _Pool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Unreachable("not an http or https URL", "InvalidURL")
        host, port = parts.hostname, parts.port
        timeout = self._connect_timeout_seconds
        if parts.scheme == "https":
            # One context per upstream: building one loads the system's CA certificates.
            context = ssl.create_default_context()

            def connect() -> _Connection:
                return _TlsConnection(
                    host, port or 443, connect_timeout_seconds=timeout, context=context
                )

        else:

            def connect() -> _Connection:
                return _Connection(host, port or 80, connect_timeout_seconds=timeout)

        return _Pool(connect, self._max_idle_connections)
