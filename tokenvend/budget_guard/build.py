"""Builds budget_guard at cold start: settings, the deployment's profiles, the store.

The deployment's profiles are the policy files it was built with (one Cloud Run
service per file, the same source as the guard's): every one of them is paused, whether
or not its policy reads the kill switch today.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tokenvend.budget_guard.guard import GUARD_EVENT, BudgetGuard
from tokenvend.errors import ConfigurationError
from tokenvend.logs import StructuredLog
from tokenvend.policy.loader import policy_files
from tokenvend.policy.model import PROFILE_NAME
from tokenvend.quotas.firestore import firestore_store
from tokenvend.settings import Settings, env_name


class GuardFunction:
    """What ``main.py``'s ``budget_guard`` calls with each CloudEvent."""

    def __init__(self, guard: BudgetGuard) -> None:
        self.guard = guard

    def handle_event(self, event: Any) -> None:
        """Acts on a functions-framework CloudEvent; returns (acknowledges) unless the
        store failed, which raises, so functions-framework answers 500 and Pub/Sub retries."""
        self.guard.handle(event.get("type"), event.get_data(), event_id=event.get("id"))


def guard_from_environment(environ: Mapping[str, str] = os.environ) -> GuardFunction:
    """The guard ``main.py`` serves; a ConfigurationError (logged) says what to fix."""
    log = StructuredLog()
    try:
        settings = Settings.from_environ(environ)
        log = StructuredLog(project_id=settings.google_cloud_project)
        return GuardFunction(build_guard(settings, log))
    except ConfigurationError as error:
        log.emit("CRITICAL", f"budget_guard cannot start: {error}")
        raise


def build_guard(settings: Settings, log: StructuredLog) -> BudgetGuard:
    """The guard of ``settings``: it pauses every profile in the policy folder."""
    profiles = tuple(
        path.stem for path in policy_files(settings.policy_dir) if PROFILE_NAME.fullmatch(path.stem)
    )
    if not profiles:
        raise ConfigurationError(
            f"no policy files in {settings.policy_dir} ({env_name('policy_dir')}): "
            "budget_guard would have no profile to pause"
        )
    guard = BudgetGuard(
        firestore_store(settings),
        profiles,
        budget_id=settings.budget_id,
        pause_at_percent=settings.budget_pause_at_percent,
        log=log,
    )
    log.emit(
        "INFO",
        f"budget_guard: guarding {len(profiles)} profiles",
        event=GUARD_EVENT,
        profiles=list(profiles),
        budget_id=settings.budget_id,
        pause_at_percent=settings.budget_pause_at_percent,
    )
    return guard
