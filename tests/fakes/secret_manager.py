"""A fake of Secret Manager's REST ``versions/V:access`` for the real client library.

Secrets hold numbered versions; ``latest`` is the newest. It counts calls, can fail the
next calls with an HTTP status, and can send a wrong CRC32C.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque

from tests.fakes.server import LoopbackServer, QuietHandler
from tokenvend.gemini.secret_manager import crc32c

_ACCESS = re.compile(r"^/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access$")
_STATUS_NAMES = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE"}


class FakeSecretManager(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.secrets: dict[str, list[bytes]] = {}
        self.calls = 0
        self.corrupt_checksum = False
        self.omit_checksum = False  # a reply without dataCrc32c
        self.garbage = False
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()

    def add_version(self, secret: str, payload: bytes) -> None:
        self.secrets.setdefault(secret, []).append(payload)

    def fail_next(self, status: int, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def fail_always(self, status: int) -> None:
        self._failures.extend([status] * 1000)

    def recover(self) -> None:
        self._failures.clear()

    def access(self, secret: str, version: str) -> tuple[int, dict[str, object]]:
        with self._lock:
            self.calls += 1
            if self._failures:
                code = self._failures.popleft()
                return code, {
                    "error": {
                        "code": code,
                        "message": f"fake {code}",
                        "status": _STATUS_NAMES.get(code, "UNKNOWN"),
                    }
                }
        versions = self.secrets.get(secret, [])
        number = len(versions) if version == "latest" else int(version)
        if not 1 <= number <= len(versions):
            message = f"Secret [{secret}] not found or has no versions."
            return 404, {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}
        data = versions[number - 1]
        checksum = crc32c(data) ^ (1 if self.corrupt_checksum else 0)
        payload = {"data": base64.b64encode(data).decode(), "dataCrc32c": str(checksum)}
        if self.omit_checksum:
            del payload["dataCrc32c"]
        return 200, {"name": f"{secret}/versions/{number}", "payload": payload}


class _Handler(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802
        fake: FakeSecretManager = self.server.fake  # type: ignore[attr-defined]
        match = _ACCESS.match(self.path.partition("?")[0])
        if not match:
            self.send_json(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')
            return
        if fake.garbage:
            self.send_json(200, b"]]] not json")
            return
        status, body = fake.access(match.group(1), match.group(2))
        self.send_json(status, json.dumps(body).encode())
