"""The credentials a call carries: Google's, found and refreshed inside its deadline, or none.

``GoogleCredentials`` finds Application Default Credentials on first use and refreshes
them through the caller's own pool, inside the same deadline; ``EmulatorCredentials``
sends the ``Bearer owner`` Google's emulators accept, and looks for no credentials at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tokenvend.outbound.answer import (
    Answer,
    CredentialsTimedOut,
    NoCredentials,
    OutboundError,
    TimedOut,
)
from tokenvend.outbound.forking import renew_after_fork

# What Google's emulators (Firestore's among them) accept in place of credentials.
EMULATOR_AUTHORIZATION = "Bearer owner"
# Token and metadata answers are a few kilobytes.
MAX_CREDENTIAL_ANSWER_BYTES = 64 * 1024


class Send(Protocol):
    """How a credential request goes out: a call of its own, without credentials and capped."""

    def __call__(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        deadline: float,
        max_answer_bytes: int,
        /,
    ) -> Answer:
        """The whole answer, or an OutboundError."""
        ...


class CredentialTransport:
    """google-auth's transport for finding and refreshing credentials, inside a call's deadline.

    Failures reach google-auth as its ``TransportError`` (so it can tell, say, that no
    metadata server answers), except the deadline: that one is raised as TimedOut, which
    google-auth does not retry, so its own retries and back-off end with the call.
    """

    def __init__(self, send: Send, deadline: float) -> None:
        self._send = send
        self.deadline = deadline

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **_: Any,
    ) -> _CredentialAnswer:
        from google.auth.exceptions import TransportError

        deadline = self.deadline
        if timeout is not None:
            deadline = min(deadline, time.monotonic() + timeout)
        try:
            answer = self._send(
                method, url, body, headers or {}, deadline, MAX_CREDENTIAL_ANSWER_BYTES
            )
        except TimedOut:
            if time.monotonic() >= self.deadline:
                raise
            # google-auth's own, shorter timeout: it may retry within the deadline.
            raise TransportError("timed out") from None  # type: ignore[no-untyped-call]
        except OutboundError as error:
            raise TransportError(str(error)) from None  # type: ignore[no-untyped-call]
        return _CredentialAnswer(answer)


class _CredentialAnswer:
    """An Answer as google-auth's transport ``Response`` reads it."""

    def __init__(self, answer: Answer) -> None:
        self.status = answer.status
        self.headers = answer.headers
        self.data = answer.body


class GoogleCredentials:
    """Application Default Credentials for ``scopes``: found on first use, refreshed as they expire.

    One caller at a time finds or refreshes them; the others wait, each at most until
    its own deadline.
    """

    def __init__(self, scopes: Sequence[str]) -> None:
        self._scopes = list(scopes)
        self._credentials: Any = None
        self._lock = threading.Lock()
        renew_after_fork(self)

    def after_fork(self) -> None:
        """In a forked child: a fresh lock, as another thread may have been refreshing.

        The credentials themselves are kept: a token is as good in the child, and one a
        thread was half-way through refreshing is refreshed again when it is next used.
        """
        self._lock = threading.Lock()

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        if not self._lock.acquire(timeout=max(0.0, refresh.deadline - time.monotonic())):
            raise CredentialsTimedOut("the deadline passed while waiting for Google credentials")
        try:
            if self._credentials is None:
                # Imported here: only upstreams that need credentials load google-auth.
                import google.auth

                self._credentials, _ = google.auth.default(
                    scopes=self._scopes,
                    request=refresh,  # type: ignore[arg-type]  # google-auth's Request, in kind
                )
            self._credentials.before_request(refresh, method, url, headers)
        except TimedOut as error:
            message = "the deadline passed while refreshing Google credentials"
            raise CredentialsTimedOut(message) from error
        except OutboundError:
            raise
        except Exception as error:  # noqa: BLE001 - google-auth raises many kinds
            name = type(error).__name__
            raise NoCredentials(f"no usable Google credentials ({name})", name) from None
        finally:
            self._lock.release()


class EmulatorCredentials:
    """What Google's emulators accept, ``Bearer owner``; no credentials are looked for."""

    def apply(
        self, headers: dict[str, str], *, method: str, url: str, refresh: CredentialTransport
    ) -> None:
        headers["Authorization"] = EMULATOR_AUTHORIZATION
