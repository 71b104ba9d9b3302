"""A loopback stand-in for the few Firestore REST calls the quota store makes.

It answers ``documents:commit`` with one update and an ``increment`` transform, and
GET and PATCH of single documents, like the emulator (``Bearer owner`` is expected).
Counts are kept under a lock, so concurrent increments are exact. It counts the calls
it receives and can be told to fail (``answer_with``) or to hang until stopped.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.server import LoopbackServer, QuietHandler

HANG = -1


class FakeFirestore(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.documents: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.failure_status: int | None = None
        self.lock = threading.Lock()
        self.released = threading.Event()

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def answer_with(self, status: int | None) -> None:
        """Every later call answers ``status`` (HANG: never, until the server stops)."""
        self.failure_status = status

    def stop(self) -> None:
        self.released.set()
        super().stop()


class _Handler(QuietHandler):
    @property
    def fake(self) -> FakeFirestore:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def do_POST(self) -> None:  # noqa: N802 - http.server's names
        self._serve("commit")

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
        if self.headers.get("Authorization") != "Bearer owner":
            self.send_json(401, b'{"error": {"code": 401}}')
            return
        url = urlsplit(self.path)
        name = url.path.removeprefix("/v1/")
        if kind == "commit":
            self._commit(body)
        elif kind == "get":
            with fake.lock:
                document = fake.documents.get(name)
            if document is None:
                self.send_json(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')
            else:
                self.send_json(200, json.dumps(document).encode())
        else:
            mask = parse_qs(url.query).get("updateMask.fieldPaths", [])
            with fake.lock:
                document = fake.documents.setdefault(name, {"name": name, "fields": {}})
                for field in mask:
                    document["fields"][field] = body["fields"][field]
                answer = json.dumps(document).encode()
            self.send_json(200, answer)

    def _commit(self, body: dict[str, Any]) -> None:
        fake = self.fake
        (write,) = body["writes"]
        name = write["update"]["name"]
        (transform,) = write["updateTransforms"]
        step = int(transform["increment"]["integerValue"])
        with fake.lock:
            document = fake.documents.setdefault(name, {"name": name, "fields": {}})
            for field in write["updateMask"]["fieldPaths"]:
                document["fields"][field] = write["update"]["fields"][field]
            field = document["fields"].setdefault(transform["fieldPath"], {"integerValue": "0"})
            field["integerValue"] = str(int(field["integerValue"]) + step)
            value = field["integerValue"]
        answer = {"writeResults": [{"transformResults": [{"integerValue": value}]}]}
        self.send_json(200, json.dumps(answer).encode())
