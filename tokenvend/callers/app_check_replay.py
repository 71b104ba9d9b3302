"""App Check replay protection (``consume: true``): each token is accepted once.

After the token's signature, issuer, audience and app passed locally, Firebase's
``projects.verifyAppCheckToken`` (v1beta) marks it consumed; its answer carries
``alreadyConsumed: true`` for every later use, which is refused with 401. Clients
send limited-use tokens (``getLimitedUseToken()``), a fresh one per request. The call
needs Google credentials whose principal holds
``firebaseappcheck.appCheckTokens.verify`` (role Firebase App Check Token Verifier);
an ``http://`` base URL (a local stand-in) is called without credentials.

Firebase's answer is untrusted input like any other: one deadline covers the call,
credentials included, and an answer of the wrong shape is "unsure" (503), never a 500.
A 401 or 403 means Firebase refused the function, not the token (the token passed
every local check): the service account lacks the role, or the API is off. That is a
503 with its own reason, ``app_check_verifier_denied``, for operators to alert on.
"""

from __future__ import annotations

import json
import time

from tokenvend import reasons
from tokenvend.errors import Unauthenticated, Unavailable
from tokenvend.outbound import GoogleCredentials, Outbound, OutboundError, Unreadable
from tokenvend.redaction import redact

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEADLINE_SECONDS = 3.0
# The answer is {} or {"alreadyConsumed": true}; an error is Google's error shape.
MAX_ANSWER_BYTES = 16 * 1024
VERIFIER_ROLE = "roles/firebaseappcheck.tokenVerifier"


class ReplayCheck:
    """Consumes each App Check token at Firebase, so a token used once before is refused."""

    def __init__(
        self, project_number: str, *, base_url: str, deadline_seconds: float = DEADLINE_SECONDS
    ) -> None:
        self._url = f"{base_url}/v1beta/projects/{project_number}:verifyAppCheckToken"
        credentials = GoogleCredentials([SCOPE]) if base_url.startswith("https://") else None
        self._outbound = Outbound(max_answer_bytes=MAX_ANSWER_BYTES, authorization=credentials)
        self._deadline_seconds = deadline_seconds

    def consume(self, token: str) -> None:
        """Marks ``token`` used; raises 401 if it was used before, 503 if unsure."""
        try:
            answer = self._outbound.call(
                "POST",
                self._url,
                body=json.dumps({"appCheckToken": token}).encode(),
                headers={"Content-Type": "application/json"},
                deadline=time.monotonic() + self._deadline_seconds,
            )
        except OutboundError as error:
            raise _unsure(f"verifyAppCheckToken: {error}") from error
        if answer.status in (401, 403):
            said = redact(answer.google_error(), token)[:300]
            raise Unavailable(
                reason=reasons.APP_CHECK_VERIFIER_DENIED,
                detail=f"verifyAppCheckToken refused the function (HTTP {answer.status}: "
                f"{said}); its service account needs {VERIFIER_ROLE} on the Firebase "
                "project, and the project the Firebase App Check API",
            )
        if answer.status == 400:
            # A valid token from a provider the method does not support (Firebase's docs).
            raise Unauthenticated(
                "the App Check token was refused", reason=reasons.APP_CHECK_REFUSED
            )
        if answer.status != 200:
            raise _unsure(f"verifyAppCheckToken answered HTTP {answer.status}")
        try:
            consumed = answer.json_object().get("alreadyConsumed", False)
        except Unreadable as error:
            raise _unsure(f"verifyAppCheckToken: {error}") from error
        if not isinstance(consumed, bool):
            raise _unsure("verifyAppCheckToken: alreadyConsumed is not a boolean")
        if consumed:
            raise Unauthenticated(
                "this App Check token was already used; send a fresh limited-use token",
                reason=reasons.APP_CHECK_REPLAYED,
            )


def _unsure(detail: str) -> Unavailable:
    return Unavailable(reason=reasons.APP_CHECK_UNAVAILABLE, detail=detail)
