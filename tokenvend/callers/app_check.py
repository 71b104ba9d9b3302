"""Firebase App Check: ``X-Firebase-AppCheck: <JWT>``, required in addition to callers.

App Check tokens go through the same verifier as ID tokens, with the keys Google
publishes as a JWKS, the issuer ``https://firebaseappcheck.googleapis.com/<project
number>`` and an audience that contains ``projects/<project number>``. The subject is
the app id, which the policy must list. With ``consume: true`` the token is then
marked used through Firebase (``app_check_replay``), so it is accepted once. This
module is imported only by profiles that use App Check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.datastructures import Headers

from tokenvend import reasons
from tokenvend.callers.id_tokens import refused
from tokenvend.callers.public_keys import PublicKeys
from tokenvend.callers.verifier import TokenRefused, TokenVerifier
from tokenvend.clock import Clock
from tokenvend.errors import PermissionDenied, Unauthenticated
from tokenvend.policy.access import AppCheck

if TYPE_CHECKING:
    from tokenvend.callers.app_check_replay import ReplayCheck

HEADER = "X-Firebase-AppCheck"
ISSUER = "https://firebaseappcheck.googleapis.com/"


class AppCheckVerifier:
    """Verifies the App Check header against the policy's project and apps."""

    what = "App Check token"

    def __init__(
        self, rules: AppCheck, keys: PublicKeys, clock: Clock, replay: ReplayCheck | None = None
    ) -> None:
        self._rules = rules
        self._replay = replay
        self._verifier = TokenVerifier(
            keys,
            issuers=frozenset({ISSUER + rules.project_number}),
            audiences=(f"projects/{rules.project_number}",),
            clock=clock,
        )

    def app_id(self, headers: Headers) -> str:
        """The verified app id of the request; raises 401 or 403 to refuse."""
        token = headers.get(HEADER, "").strip()
        if not token:
            raise Unauthenticated(
                f"send an App Check token as {HEADER}", reason=reasons.APP_CHECK_MISSING
            )
        try:
            claims = self._verifier.verify(token)
        except TokenRefused as refusal:
            raise refused(self.what, refusal, reasons.app_check(refusal.reason)) from None
        subject: str = claims["sub"]
        if subject not in self._rules.app_ids:
            raise PermissionDenied(
                "this app may not use this service", reason=reasons.APP_NOT_ALLOWED
            )
        if self._replay is not None:
            # Last: a forged or foreign token is refused locally, without a network call.
            self._replay.consume(token)
        return subject
