"""A loopback stand-in for the few Firestore REST calls the quota store makes.

It answers ``documents:commit`` (any number of writes, each an update with a field
mask and an ``increment`` transform, applied atomically), ``documents:batchGet``, and
GET and PATCH of single documents, like the emulator (``Bearer owner`` is expected).
Counts are kept under a lock, so concurrent increments are exact. It counts the calls
it receives and can be told to fail (``answer_with``), to hang until stopped, to
answer a body of the test's choosing, or to trickle its answer a byte at a time.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.server import LoopbackServer, QuietHandler

HANG = -1
TRICKLE_PAUSE_SECONDS = 0.05


class FakeFirestore(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.documents: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.failure_status: int | None = None
        self.scripted: tuple[int, bytes] | None = None
        self.trickle = False
        self.lock = threading.Lock()
        self.released = threading.Event()

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def answer_with(self, status: int | None) -> None:
        """Every later call answers ``status`` (HANG: never, until the server stops)."""
        self.failure_status = status

    def answer_body(self, body: bytes, status: int = 200) -> None:
        """Every later call answers exactly ``body`` (None-like: ``answer_body(b"")``)."""
        self.scripted = (status, body)

    def count(self, name: str) -> int:
        """The integer ``count`` of a document (0 when absent), by its full name."""
        with self.lock:
            field = self.documents.get(name, {}).get("fields", {}).get("count")
        return int(field["integerValue"]) if field else 0

    def stop(self) -> None:
        self.released.set()
        super().stop()


class _Handler(QuietHandler):
    @property
    def fake(self) -> FakeFirestore:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        self._serve("batchGet" if self.path.endswith(":batchGet") else "commit")

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._serve("get")

    def do_PATCH(self) -> None:  # noqa: N802 - http.server's names
        self._serve("patch")

    def _serve(self, kind: str) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length", "0"))
        body: dict[str, Any] = json.loads(self.rfile.read(length)) if length else {}
        fake.calls[kind] += 1
        if fake.failure_status == HANG:
            fake.released.wait()
            return
        if fake.failure_status is not None:
            self.send_json(fake.failure_status, b'{"error": {"code": 0}}')
            return
        if fake.scripted is not None:
            self._answer(*fake.scripted)
            return
        if self.headers.get("Authorization") != "Bearer owner":
            self.send_json(401, b'{"error": {"code": 401}}')
            return
        url = urlsplit(self.path)
        name = url.path.removeprefix("/v1/")
        if kind == "commit":
            self._answer(200, json.dumps(self._commit(body)).encode())
        elif kind == "batchGet":
            self._answer(200, json.dumps(self._batch_get(body)).encode())
        elif kind == "get":
            with fake.lock:
                document = fake.documents.get(name)
            if document is None:
                self._answer(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')
            else:
                self._answer(200, json.dumps(document).encode())
        else:
            mask = parse_qs(url.query).get("updateMask.fieldPaths", [])
            with fake.lock:
                document = fake.documents.setdefault(name, {"name": name, "fields": {}})
                for field in mask:
                    document["fields"][field] = body["fields"][field]
                answer = json.dumps(document).encode()
            self._answer(200, answer)

    def _answer(self, status: int, body: bytes) -> None:
        if not self.fake.trickle:
            self.send_json(status, body)
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            if self.fake.released.wait(TRICKLE_PAUSE_SECONDS):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def _commit(self, body: dict[str, Any]) -> dict[str, Any]:
        fake = self.fake
        results = []
        with fake.lock:
            for write in body["writes"]:
                name = write["update"]["name"]
                (transform,) = write["updateTransforms"]
                step = int(transform["increment"]["integerValue"])
                document = fake.documents.setdefault(name, {"name": name, "fields": {}})
                for field in write["updateMask"]["fieldPaths"]:
                    document["fields"][field] = write["update"]["fields"][field]
                counted = document["fields"].setdefault(
                    transform["fieldPath"], {"integerValue": "0"}
                )
                counted["integerValue"] = str(int(counted["integerValue"]) + step)
                results.append({"transformResults": [{"integerValue": counted["integerValue"]}]})
        return {"writeResults": results, "commitTime": _now()}

    def _batch_get(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with self.fake.lock:
            found = {name: self.fake.documents.get(name) for name in body["documents"]}
            return [
                {"found": json.loads(json.dumps(document)), "readTime": _now()}
                if document
                else {"missing": name, "readTime": _now()}
                for name, document in found.items()
            ]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
