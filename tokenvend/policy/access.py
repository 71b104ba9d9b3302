"""The ``access`` section of a policy: who may ask for a token.

``callers`` is exactly one kind (anonymous, Firebase Auth users, Google accounts);
``app_check``, when present, is required in addition. Addresses are kept in lowercase
so the caller checks compare them without regard to case. Only the caller checks (the
``tokenvend.callers`` package) give these dataclasses meaning; here they are only read
and checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tokenvend.policy.schema import Problem


@dataclass(frozen=True)
class AnonymousCallers:
    """Anyone on an allowed origin may mint a token."""

    kind: Literal["anonymous"] = "anonymous"


@dataclass(frozen=True)
class FirebaseCallers:
    """Firebase Auth users of one project, by ID token; email rules optional."""

    project_id: str
    require_email_verified: bool = False
    allowed_email_domains: frozenset[str] = frozenset()
    allowed_emails: frozenset[str] = frozenset()  # lowercase
    kind: Literal["firebase"] = "firebase"


@dataclass(frozen=True)
class GoogleCallers:
    """Google accounts, by a Google-signed ID token issued for one of ``audiences``."""

    audiences: tuple[str, ...]
    allowed_emails: frozenset[str] = frozenset()  # lowercase
    allowed_domains: frozenset[str] = frozenset()  # the ``hd`` claim
    kind: Literal["google"] = "google"


Callers = AnonymousCallers | FirebaseCallers | GoogleCallers


@dataclass(frozen=True)
class AppCheck:
    """Firebase App Check, required in addition to the callers rule."""

    project_number: str
    app_ids: frozenset[str]
    # Replay protection: each token is accepted once (verifyAppCheckToken).
    consume: bool = False


@dataclass(frozen=True)
class Access:
    """Who may mint: the exact browser origins, the caller rule, and App Check if required."""

    allowed_origins: frozenset[str]
    callers: Callers
    app_check: AppCheck | None = None


def build_access(access: Mapping[str, Any]) -> Access:
    """The dataclasses of a schema-valid ``access`` section."""
    return Access(
        allowed_origins=frozenset(access["allowed_origins"]),
        callers=_callers(access["callers"]),
        app_check=_app_check(access.get("app_check")),
    )


def app_check_problems(app_check: Mapping[str, Any]) -> list[Problem]:
    """What the schema cannot say: every app id must belong to ``project_number``."""
    number = app_check["project_number"]
    problems: list[Problem] = []
    for index, app_id in enumerate(app_check["app_ids"]):
        if app_id.split(":")[1] != number:
            problems.append(
                (
                    f"access.app_check.app_ids[{index}]",
                    f"{app_id!r} belongs to project number {app_id.split(':')[1]}, not "
                    f"{number} (project_number)",
                )
            )
    return problems


def _callers(callers: Any) -> Callers:
    if callers == "anonymous":
        return AnonymousCallers()
    if "firebase" in callers:
        rules = callers["firebase"]
        return FirebaseCallers(
            project_id=rules["project_id"],
            require_email_verified=bool(rules.get("require_email_verified", False)),
            allowed_email_domains=frozenset(rules.get("allowed_email_domains", [])),
            allowed_emails=frozenset(email.lower() for email in rules.get("allowed_emails", [])),
        )
    rules = callers["google"]
    return GoogleCallers(
        audiences=tuple(rules["audiences"]),
        allowed_emails=frozenset(email.lower() for email in rules.get("allowed_emails", [])),
        allowed_domains=frozenset(rules.get("allowed_domains", [])),
    )


def _app_check(app_check: Any) -> AppCheck | None:
    if app_check is None:
        return None
    return AppCheck(
        project_number=app_check["project_number"],
        app_ids=frozenset(app_check["app_ids"]),
        consume=bool(app_check.get("consume", False)),
    )
