"""The function's own Google credentials for Firestore, found and refreshed within a deadline.

google-auth finds the credentials on first use (on Cloud Run: the metadata server) and
the access token is refreshed when it is about to expire, about once an hour. Every
HTTP call google-auth makes for that waits at most what is left of the Firestore call's
deadline, so a slow metadata server costs one call its deadline, never more.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tokenvend.errors import QuotaStoreUnavailable

SCOPE = "https://www.googleapis.com/auth/datastore"


class GoogleAuthorizer:
    """The ``Authorization`` header of the function's service account (an ``Authorizer``)."""

    def __init__(self) -> None:
        self._credentials: Any = None
        self._request: Any = None
        self._lock = threading.Lock()

    def __call__(self, deadline: float) -> str:
        if not self._lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise QuotaStoreUnavailable("no credentials for Firestore in time", busy=True)
        try:
            return self._header(deadline)
        except QuotaStoreUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - google-auth raises many kinds
            raise QuotaStoreUnavailable(
                f"no credentials for Firestore: {type(error).__name__}"
            ) from None
        finally:
            self._lock.release()

    def _header(self, deadline: float) -> str:
        # Imported here: only profiles with quotas, on their first Firestore call, pay for it.
        import google.auth

        if self._request is None:
            self._request = _bounded_request_class()()
        self._request.deadline = deadline
        if self._credentials is None:
            self._credentials, _ = google.auth.default(scopes=[SCOPE], request=self._request)
        if not self._credentials.valid:
            self._credentials.refresh(self._request)
        return f"Bearer {self._credentials.token}"


def _bounded_request_class() -> type[Any]:
    import google.auth.exceptions
    import google.auth.transport
    import google.auth.transport.urllib3
    import urllib3

    class BoundedRequest(google.auth.transport.Request):
        """google-auth's urllib3 transport, each call cut to what is left of ``deadline``."""

        def __init__(self) -> None:
            self.deadline = 0.0
            self._inner = google.auth.transport.urllib3.Request(  # type: ignore[no-untyped-call]
                urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
            )

        def __call__(
            self,
            url: str,
            method: str = "GET",
            body: Any = None,
            headers: Any = None,
            timeout: float | None = None,
            **kwargs: Any,
        ) -> Any:
            left = self.deadline - time.monotonic()
            if left <= 0:
                message = "the Firestore call's deadline passed"
                raise google.auth.exceptions.TransportError(message)  # type: ignore[no-untyped-call]
            wait = left if timeout is None else min(timeout, left)
            return self._inner(url, method, body, headers, timeout=wait, **kwargs)

    return BoundedRequest
