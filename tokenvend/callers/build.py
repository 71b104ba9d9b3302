"""Builds the caller check a policy's ``access`` section asks for.

The verifiers for signed tokens (PyJWT, cryptography) are imported only when the policy
asks for them: an anonymous profile's cold start never loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tokenvend.callers.caller import AnonymousCheck, AppCheckedCallers, CallerCheck
from tokenvend.clock import Clock
from tokenvend.logs import StructuredLog
from tokenvend.policy.access import Access, AnonymousCallers, FirebaseCallers
from tokenvend.settings import Settings


def caller_check_for(
    access: Access, *, settings: Settings, clock: Clock, log: StructuredLog
) -> CallerCheck:
    """The check of ``access``: its caller kind, and App Check in addition if asked."""
    if isinstance(access.callers, AnonymousCallers) and access.app_check is None:
        return AnonymousCheck()
    from tokenvend.callers.public_keys import PublicKeys, parse_jwks, parse_x509_map

    def keys_at(url: str, parse: Callable[[Any], Mapping[str, Any]]) -> PublicKeys:
        return PublicKeys(
            url, parse, clock=clock, log=log, timeout_seconds=settings.key_fetch_timeout_seconds
        )

    check: CallerCheck = AnonymousCheck()
    if not isinstance(access.callers, AnonymousCallers):
        from tokenvend.callers.caller import SubjectHasher
        from tokenvend.callers.id_tokens import FirebaseCheck, GoogleCheck

        hasher = SubjectHasher(settings.subject_hash_salt)
        if isinstance(access.callers, FirebaseCallers):
            keys = keys_at(settings.firebase_certs_url, parse_x509_map)
            check = FirebaseCheck(access.callers, keys, hasher, clock)
        else:
            keys = keys_at(settings.google_certs_url, parse_x509_map)
            check = GoogleCheck(access.callers, keys, hasher, clock)
    if access.app_check is not None:
        from tokenvend.callers.app_check import AppCheckVerifier

        keys = keys_at(settings.app_check_jwks_url, parse_jwks)
        replay = None
        if access.app_check.consume:
            from tokenvend.callers.app_check_replay import ReplayCheck

            replay = ReplayCheck(
                access.app_check.project_number, base_url=settings.app_check_verify_url
            )
        verifier = AppCheckVerifier(access.app_check, keys, clock, replay)
        check = AppCheckedCallers(check, verifier)
    return check
