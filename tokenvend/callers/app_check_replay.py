"""App Check replay protection (``consume: true``): each token is accepted once.

After the token's signature, issuer, audience and app passed locally, Firebase's
``projects.verifyAppCheckToken`` (v1beta) marks it consumed; its answer carries
``alreadyConsumed: true`` for every later use, which is refused with 401. Clients
send limited-use tokens (``getLimitedUseToken()``), a fresh one per request. The call
needs Google credentials whose principal holds
``firebaseappcheck.appCheckTokens.verify`` (role Firebase App Check Token Verifier);
an ``http://`` base URL (a local stand-in) is called without credentials.
"""

from __future__ import annotations

import threading

import requests

from tokenvend.errors import Unauthenticated, Unavailable

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
REASON_PREFIX = "app_check_"
DEADLINE_SECONDS = 3.0


class ReplayCheck:
    """Consumes each App Check token at Firebase, so a token used once before is refused."""

    def __init__(
        self, project_number: str, *, base_url: str, deadline_seconds: float = DEADLINE_SECONDS
    ) -> None:
        self._url = f"{base_url}/v1beta/projects/{project_number}:verifyAppCheckToken"
        self._credentials = base_url.startswith("https://")
        self._deadline = deadline_seconds
        self._session: requests.Session | None = None
        self._lock = threading.Lock()

    def consume(self, token: str) -> None:
        """Marks ``token`` used; raises 401 if it was used before, 503 if unsure."""
        try:
            response = self._connect().post(
                self._url, json={"appCheckToken": token}, timeout=self._deadline
            )
        except Exception:  # noqa: BLE001 - requests and google-auth failures alike
            raise Unavailable(reason=f"{REASON_PREFIX}unavailable") from None
        if response.status_code in (400, 403):
            # Firebase refuses tokens it considers invalid, or from a debug-less provider.
            raise Unauthenticated(
                "the App Check token was refused", reason=f"{REASON_PREFIX}refused"
            )
        if response.status_code != 200:
            raise Unavailable(reason=f"{REASON_PREFIX}unavailable")
        try:
            consumed = response.json().get("alreadyConsumed", False) is True
        except (ValueError, AttributeError):
            raise Unavailable(reason=f"{REASON_PREFIX}unavailable") from None
        if consumed:
            raise Unauthenticated(
                "this App Check token was already used; send a fresh limited-use token",
                reason=f"{REASON_PREFIX}replayed",
            )

    def _connect(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                if self._credentials:
                    # Imported here: only profiles with consume: true need it.
                    import google.auth
                    from google.auth.transport.requests import AuthorizedSession

                    credentials, _ = google.auth.default(scopes=[SCOPE])
                    self._session = AuthorizedSession(  # type: ignore[no-untyped-call]
                        credentials, refresh_timeout=self._deadline
                    )
                else:
                    self._session = requests.Session()
            return self._session
