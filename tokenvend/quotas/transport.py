"""One HTTP exchange with Firestore's REST API: one total deadline, a size cap, JSON back.

The HTTP is ``tokenvend.outbound``'s: every wait of a call (connect, sending, the
status line, each header, each piece of the body) ends at one deadline fixed when the
call starts, so an answer trickled a byte at a time cannot hold a request past it, and
an answer larger than ``MAX_ANSWER_BYTES`` is refused. This module only says what each
failure means for the quota engine: a ``QuotaStoreUnavailable`` whose detail names the
kind, and ``busy`` when Firestore was too slow rather than down.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.outbound import (
    Authorization,
    Closed,
    NoCredentials,
    Outbound,
    OutboundError,
    TimedOut,
    TooLarge,
)

# A batchGet of every shard of a profile is the largest answer: a few hundred bytes each.
MAX_ANSWER_BYTES = 256 * 1024
MAX_IDLE_CONNECTIONS = 8
_JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Reply:
    """Firestore's HTTP status and its parsed JSON body (None when the body was empty)."""

    status: int
    body: Any


class FirestoreTransport:
    """Calls ``base_url`` (``https://firestore.googleapis.com/v1`` or an emulator's)."""

    def __init__(
        self, base_url: str, *, deadline_seconds: float, authorization: Authorization
    ) -> None:
        self._prefix = base_url.rstrip("/")
        self._deadline_seconds = deadline_seconds
        self._outbound = Outbound(
            max_answer_bytes=MAX_ANSWER_BYTES,
            max_idle_connections=MAX_IDLE_CONNECTIONS,
            authorization=authorization,
        )

    def call(self, method: str, path: str, body: Any = None, *, repeatable: bool) -> Reply:
        """One exchange; ``repeatable`` calls are sent again once if a kept-alive
        connection turns out to be closed before anything came back."""
        deadline = time.monotonic() + self._deadline_seconds
        payload = None
        if body is not None:
            payload = json.dumps(body, separators=(",", ":")).encode()
        try:
            answer = self._outbound.call(
                method,
                f"{self._prefix}/{path}",
                body=payload,
                headers=_JSON_HEADERS if payload is not None else None,
                deadline=deadline,
                repeatable=repeatable,
            )
        except NoCredentials as error:  # before TimedOut: a slow token endpoint is this
            detail = f"no credentials for Firestore: {error.cause}"
            raise QuotaStoreUnavailable(detail, busy=isinstance(error, TimedOut)) from None
        except TimedOut:
            raise QuotaStoreUnavailable("Firestore did not answer in time", busy=True) from None
        except TooLarge:
            raise QuotaStoreUnavailable("Firestore's answer is too large") from None
        except Closed:
            raise QuotaStoreUnavailable("Firestore closed the connection") from None
        except OutboundError as error:
            raise QuotaStoreUnavailable(f"Firestore unreachable: {error.cause}") from None
        return Reply(answer.status, _parsed(answer.body))


def _parsed(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        # RecursionError: [[[[… nested past the stack is not an answer either.
        raise QuotaStoreUnavailable("Firestore answered with something not JSON") from None
