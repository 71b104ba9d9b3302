"""``python -m tokenvend pause | resume | status``: the kill switch of quota profiles.

``pause PROFILE`` sets ``paused`` on ``tokenvend_profiles/PROFILE`` in the Firestore
database the settings name; every instance of the profile reads it within 10 seconds
and answers 503 until ``resume PROFILE``. Only profiles with a ``quotas`` section read
the switch, so the commands refuse other profiles rather than pretend to stop them.
``status`` prints each quota profile's switch; ``explain`` shows it too, through
``switch_state``, which gives up quickly and says "unknown" when the store is out of
reach.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tokenvend.errors import ConfigurationError, PolicyError, QuotaStoreUnavailable
from tokenvend.policy.loader import load_profile, policy_files
from tokenvend.policy.model import Policy
from tokenvend.settings import Settings

if TYPE_CHECKING:
    from tokenvend.quotas.firestore import FirestoreStore

# explain should not hang on an unreachable store: it is a quick look.
EXPLAIN_DEADLINE_SECONDS = 2.0


def run_switch(profile: str, paused: bool, folder: Path, settings: Settings) -> int:
    """``pause`` (``paused`` True) or ``resume`` one profile; 0 when the switch is set."""
    policy = _quota_policy(folder, profile)
    if policy is None:
        return 1
    try:
        _store(settings).set_paused(profile, paused)
    except (ConfigurationError, QuotaStoreUnavailable) as error:
        print(f"{profile}: the switch was not set: {_why(error)}", file=sys.stderr)
        return 1
    if paused:
        print(f"{profile}: paused; every instance answers 503 within 10 s")
    else:
        print(f"{profile}: resumed; every instance mints again within 10 s")
    return 0


def run_status(profile: str | None, folder: Path, settings: Settings) -> int:
    """Prints the switch of ``profile``, or of every quota profile in ``folder``."""
    if profile is not None:
        policy = _quota_policy(folder, profile)
        if policy is None:
            return 1
        names = [profile]
    else:
        names = [path.stem for path in policy_files(folder) if _has_quotas(folder, path.stem)]
        if not names:
            print(f"no policy in {folder} has a quotas section")
            return 0
    failed = False
    for name in names:
        state = switch_state(settings, name, deadline_seconds=settings.firestore_timeout_seconds)
        failed = failed or state.startswith("unknown")
        print(f"{name}: {state}")
    return 1 if failed else 0


def switch_state(settings: Settings, profile: str, *, deadline_seconds: float) -> str:
    """``paused``, ``running`` or ``unknown (why)``, within about ``deadline_seconds``."""
    result: list[str] = []

    def read() -> None:
        try:
            paused = _store(settings, deadline_seconds).paused(profile)
            result.append("paused" if paused else "running")
        except (ConfigurationError, QuotaStoreUnavailable) as error:
            result.append(f"unknown ({_why(error)})")

    # A thread bounds the whole look-up, credential discovery included.
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(deadline_seconds + 0.5)
    return result[0] if result else "unknown (the store did not answer in time)"


def _store(settings: Settings, deadline_seconds: float | None = None) -> FirestoreStore:
    # Imported here: the other commands never need the quota package.
    from tokenvend.quotas.firestore import firestore_store

    if deadline_seconds is not None:
        deadline = min(settings.firestore_timeout_seconds, deadline_seconds)
        settings = replace(settings, firestore_timeout_seconds=deadline)
    return firestore_store(settings)


def _why(error: Exception) -> str:
    if isinstance(error, QuotaStoreUnavailable):
        return error.detail
    return str(error)


def _quota_policy(folder: Path, profile: str) -> Policy | None:
    try:
        policy = load_profile(folder, profile)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return None
    if policy.quotas is None:
        print(
            f"{profile}: its policy has no quotas section, so its function never reads the "
            "switch; add one (see docs/operations.md)",
            file=sys.stderr,
        )
        return None
    return policy


def _has_quotas(folder: Path, profile: str) -> bool:
    try:
        return load_profile(folder, profile).quotas is not None
    except PolicyError:
        return False
