"""Production's write limit per document, modelled: a loopback proxy in front of a Firestore.

Firestore sustains about one write per second per document. Above that, writes slow
down and fail: ``ABORTED`` ("too much contention") or ``DEADLINE_EXCEEDED`` (Google's
"Quotas and limits" and "Understand error codes" pages; docs/operations.md names
them). Neither the emulator nor the fake enforces it, so this proxy does: every
document has a bucket of ``burst`` writes refilled at ``rate_per_second``; a commit
that writes a document with an empty bucket is answered like Firestore (409 ABORTED,
or 504 DEADLINE_EXCEEDED after ``stall_seconds``) and never reaches the store, so it
changes nothing, as an aborted commit does. Everything else is passed through.

It counts, per document and per second, every write asked for (passed or refused),
and the calls of each kind, for the tests and ``make bench`` to assert and print.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import LoopbackServer, QuietHandler

ABORTED = "ABORTED"
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
_ANSWERS = {
    ABORTED: (409, "Too much contention on these datastore entities. Please try again."),
    DEADLINE_EXCEEDED: (504, "Deadline exceeded."),
}


@dataclass(frozen=True)
class WriteStats:
    """What the proxy saw: writes per document per second, and calls by kind."""

    peak_writes_per_second: int  # the most writes asked of one document in one second
    peak_document: str
    sustained_writes_per_second: float  # the most over any 10 s, per second
    refused_writes: int
    refused_documents: tuple[str, ...]
    calls: dict[str, int]


class WriteRateProxy(LoopbackServer):
    def __init__(
        self,
        upstream: str,
        *,
        rate_per_second: float = 1.0,
        burst: int = 4,
        answer: str = ABORTED,
        stall_seconds: float = 0.0,
    ) -> None:
        super().__init__(_Handler)
        self.upstream = upstream
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.answer = answer
        self.stall_seconds = stall_seconds
        self.lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # document: (tokens, at)
        self.writes: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.refused: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def admit(self, documents: list[str]) -> bool:
        """Whether a commit writing ``documents`` passes; counts the writes either way."""
        now = time.monotonic()
        with self.lock:
            buckets = {}
            for document in documents:
                self.writes[document][int(now)] += 1
                tokens, at = self._buckets.get(document, (float(self.burst), now))
                buckets[document] = min(self.burst, tokens + (now - at) * self.rate_per_second)
            passes = all(tokens >= 1 for tokens in buckets.values())
            for document, tokens in buckets.items():
                self._buckets[document] = (tokens - 1 if passes else tokens, now)
                if not passes:
                    self.refused[document] += 1
            return passes

    def stats(self, *, documents_containing: str = "") -> WriteStats:
        with self.lock:
            chosen = {d: c for d, c in self.writes.items() if documents_containing in d}
            peak, where = 0, ""
            sustained = 0.0
            for document, seconds in chosen.items():
                top = max(seconds.values())
                if top > peak:
                    peak, where = top, document
                for start in seconds:
                    ten = sum(seconds.get(start + offset, 0) for offset in range(10))
                    sustained = max(sustained, ten / 10)
            refused = {d: n for d, n in self.refused.items() if documents_containing in d}
            return WriteStats(
                peak,
                where.rsplit("/", 1)[-1],
                sustained,
                sum(refused.values()),
                tuple(sorted(d.rsplit("/", 1)[-1] for d in refused)),
                dict(self.calls),
            )


class _Handler(QuietHandler):
    @property
    def proxy(self) -> WriteRateProxy:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        self._forward()

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._forward()

    def do_PATCH(self) -> None:  # noqa: N802 - http.server's names
        self._forward()

    def _forward(self) -> None:
        proxy = self.proxy
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        kind = self.command if self.command != "POST" else self.path.rsplit(":", 1)[-1]
        with proxy.lock:
            proxy.calls[kind] += 1
        if kind == "commit" and not proxy.admit(_written(body)):
            status, message = _ANSWERS[proxy.answer]
            if proxy.stall_seconds:
                time.sleep(proxy.stall_seconds)  # Firestore's own wait before it gives up
            error = {"error": {"code": status, "message": message, "status": proxy.answer}}
            self.send_json(status, json.dumps(error).encode())
            return
        upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body or None, headers)
            answer = upstream.getresponse()
            self.send_json(answer.status, answer.read())
        finally:
            upstream.close()


def _written(body: bytes) -> list[str]:
    writes: Any = json.loads(body).get("writes", [])
    return [write["update"]["name"] for write in writes]
