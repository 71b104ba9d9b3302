"""``QuotaStore`` on Firestore's REST API: one round trip per call, no transaction.

``add`` is one ``documents:commit`` whose writes each set ``expire_at`` and apply an
``increment`` transform to ``count``; the answer's ``transformResults`` carry the new
values. A commit is atomic, and an increment has no read that a concurrent write could
invalidate, so contention never makes it retry. ``counts`` is one
``documents:batchGet``; the kill switch is one document read or patch. The HTTP is
``FirestoreTransport``'s: one total deadline and a size cap per call, and the
function's own Google credentials (found on first use, refreshed inside a call's deadline).

Every answer is untrusted input. Anything not of the exact shape expected (a list for
an object, ``booleanValue: "false"``, a missing result, nesting past the parser) is
"store unavailable", never an exception of another kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tokenvend.errors import ConfigurationError, QuotaStoreUnavailable
from tokenvend.outbound import EmulatorCredentials, GoogleCredentials
from tokenvend.quotas.store import COUNTERS, PROFILES, Change
from tokenvend.quotas.transport import FirestoreTransport
from tokenvend.settings import Settings, env_name

PRODUCTION_URL = "https://firestore.googleapis.com/v1"
EMULATOR_PROJECT = "demo-tokenvend"
SCOPE = "https://www.googleapis.com/auth/datastore"
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_STATUS = re.compile(r"[A-Z_]{1,40}")
# What Firestore answers when a document is written faster than it sustains: ABORTED
# (HTTP 409, "too much contention") or its own DEADLINE_EXCEEDED (HTTP 504).
_BUSY_STATUSES = frozenset({409, 504})


class FirestoreStore:
    """The ``QuotaStore`` of the function, on one project's database."""

    def __init__(self, transport: FirestoreTransport, *, project: str, database: str) -> None:
        self._transport = transport
        self._documents = f"projects/{project}/databases/{database}/documents"

    def add(self, changes: Sequence[Change]) -> tuple[int, ...]:
        writes = [
            {
                "update": {
                    "name": self._name(COUNTERS, change.counter),
                    "fields": {"expire_at": {"timestampValue": _rfc3339(change.expire_at)}},
                },
                "updateMask": {"fieldPaths": ["expire_at"]},
                "updateTransforms": [
                    {"fieldPath": "count", "increment": {"integerValue": str(change.amount)}}
                ],
            }
            for change in changes
        ]
        # Sending an increment twice only over-counts; a give-back twice would under-count.
        repeatable = all(change.amount > 0 for change in changes)
        answer = self._call("POST", f"{self._documents}:commit", {"writes": writes}, repeatable)
        results = _items(_member(answer, "writeResults"), len(changes))
        return tuple(_integer(_one(_member(result, "transformResults"))) for result in results)

    def counts(self, counters: Sequence[str]) -> tuple[int, ...]:
        names = [self._name(COUNTERS, counter) for counter in counters]
        body = {"documents": names, "mask": {"fieldPaths": ["count"]}}
        answer = self._call("POST", f"{self._documents}:batchGet", body, True)
        found: dict[str, int] = {}
        for entry in _items(answer, len(names)):
            if isinstance(entry, dict) and isinstance(entry.get("missing"), str):
                found[entry["missing"]] = 0
            else:
                document = _member(entry, "found")
                name = _member(document, "name")
                if not isinstance(name, str):
                    raise _odd("a document without a name")
                found[name] = _count(document)
        if set(found) != set(names):
            raise _odd("batchGet answered for other documents")
        return tuple(found[name] for name in names)

    def paused(self, profile: str) -> bool:
        document = self._call("GET", self._name(PROFILES, profile), None, True, missing_ok=True)
        if document is None:
            return False
        switch = _fields(document).get("paused")
        if switch is None:
            return False
        if not isinstance(switch, dict) or not isinstance(switch.get("booleanValue"), bool):
            raise _odd("the switch's paused is not a boolean")
        return bool(switch["booleanValue"])

    def set_paused(self, profile: str, paused: bool) -> None:
        fields = {
            "paused": {"booleanValue": paused},
            "changed_at": {"timestampValue": _rfc3339(datetime.now(UTC))},
        }
        query = "?updateMask.fieldPaths=paused&updateMask.fieldPaths=changed_at"
        self._call("PATCH", self._name(PROFILES, profile) + query, {"fields": fields}, True)

    def _name(self, collection: str, document: str) -> str:
        return f"{self._documents}/{collection}/{document}"

    def _call(
        self, method: str, path: str, body: Any, repeatable: bool, *, missing_ok: bool = False
    ) -> Any:
        reply = self._transport.call(method, path, body, repeatable=repeatable)
        if reply.status == 200:
            if reply.body is None:
                raise _odd("an empty answer")
            return reply.body
        if missing_ok and reply.status == 404:
            return None
        error = reply.body.get("error") if isinstance(reply.body, dict) else None
        code = error.get("status") if isinstance(error, dict) else None
        named = f" {code}" if isinstance(code, str) and _STATUS.fullmatch(code) else ""
        raise QuotaStoreUnavailable(
            f"Firestore answered HTTP {reply.status}{named}",
            busy=reply.status in _BUSY_STATUSES,
        )


def _odd(what: str) -> QuotaStoreUnavailable:
    return QuotaStoreUnavailable(f"Firestore answered in an unexpected shape: {what}")


def _member(value: Any, name: str) -> Any:
    if not isinstance(value, dict) or name not in value:
        raise _odd(f"no {name}")
    return value[name]


def _items(value: Any, length: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != length:
        raise _odd(f"not a list of {length}")
    return value


def _one(value: Any) -> Any:
    return _items(value, 1)[0]


def _fields(document: Any) -> dict[str, Any]:
    fields = document.get("fields", {}) if isinstance(document, dict) else None
    if not isinstance(fields, dict):
        raise _odd("a document without fields")
    return fields


def _count(document: Any) -> int:
    count = _fields(document).get("count")
    return 0 if count is None else _integer(count)


def _integer(value: Any) -> int:
    number = _member(value, "integerValue")
    # Firestore writes 64-bit integers as strings; a bool is not a number.
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    if isinstance(number, str) and _INTEGER.fullmatch(number):
        return int(number)
    raise _odd("a count that is not an integer")


def firestore_store(settings: Settings) -> FirestoreStore:
    """The store the settings name: the emulator's, or the project's real database."""
    deadline = settings.firestore_timeout_seconds
    emulator = settings.firestore_emulator_host
    if emulator:
        transport = FirestoreTransport(
            f"http://{emulator}/v1",
            deadline_seconds=deadline,
            authorization=EmulatorCredentials(),
        )
        project = settings.google_cloud_project or EMULATOR_PROJECT
    else:
        if not settings.google_cloud_project:
            raise ConfigurationError(
                f"a policy with quotas or a kill switch needs {env_name('google_cloud_project')} "
                f"(the project of the Firestore database) or {env_name('firestore_emulator_host')}"
            )
        transport = FirestoreTransport(
            PRODUCTION_URL, deadline_seconds=deadline, authorization=GoogleCredentials([SCOPE])
        )
        project = settings.google_cloud_project
    return FirestoreStore(transport, project=project, database=settings.firestore_database)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
