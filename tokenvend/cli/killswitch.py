"""``python -m tokenvend pause | resume | status``: the kill switch of every profile.

``pause PROFILE`` sets ``paused`` on ``tokenvend_profiles/PROFILE`` in the Firestore
database the settings name; every instance of the profile reads it within 10 seconds
and answers 503 until ``resume PROFILE``. Profiles with ``quotas`` or ``spend`` read the
switch, and so does any with ``kill_switch: true``; the commands refuse other profiles
rather than pretend to stop them. ``PROFILE`` is a profile name, nothing else: a path
would name a policy file somewhere else and a document the function never reads.
``status`` prints each such profile's switch (and names the policy files it could not
read); ``explain`` shows it too, through ``switch_state``, which gives up quickly and
says "unknown" when the store is out of reach.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tokenvend.errors import ConfigurationError, PolicyError, QuotaStoreUnavailable
from tokenvend.policy.loader import load_profile, policy_files
from tokenvend.policy.model import PROFILE_NAME, Policy
from tokenvend.settings import Settings

if TYPE_CHECKING:
    from tokenvend.quotas.firestore import FirestoreStore

# explain should not hang on an unreachable store: it is a quick look.
EXPLAIN_DEADLINE_SECONDS = 2.0


def run_switch(profile: str, paused: bool, folder: Path, settings: Settings) -> int:
    """``pause`` (``paused`` True) or ``resume`` one profile; 0 when the switch is set."""
    policy = _switch_policy(folder, profile)
    if policy is None:
        return 1
    try:
        _store(settings).set_paused(policy.profile, paused)
    except (ConfigurationError, QuotaStoreUnavailable) as error:
        print(f"{profile}: the switch was not set: {_why(error)}", file=sys.stderr)
        return 1
    # Where it was written: a switch set in another database than the one the
    # functions read (Terraform's output firestore_database) stops nothing.
    where = f"in {_where(settings)}"
    if paused:
        print(f"{profile}: paused {where}; every instance reading it answers 503 within 10 s")
    else:
        print(f"{profile}: resumed {where}; every instance reading it mints again within 10 s")
    return 0


def _where(settings: Settings) -> str:
    database = f"database {settings.firestore_database}"
    if settings.firestore_emulator_host:
        return f"{database} of the emulator at {settings.firestore_emulator_host}"
    return f"{database} of project {settings.google_cloud_project}"


def run_status(profile: str | None, folder: Path, settings: Settings) -> int:
    """Prints the switch of ``profile``, or of every profile in ``folder`` that reads one."""
    failed = False
    if profile is not None:
        policy = _switch_policy(folder, profile)
        if policy is None:
            return 1
        names = [policy.profile]
    else:
        names = []
        for path in policy_files(folder):
            try:
                if load_profile(folder, path.stem).kill_switch:
                    names.append(path.stem)
            except PolicyError:
                # A file the function would refuse to start with: say so, never skip it.
                print(f"{path.stem}: policy invalid, switch not shown (run validate)")
                failed = True
        if not names and not failed:
            print(f"no policy in {folder} reads the kill switch (see docs/operations.md)")
            return 0
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


def _switch_policy(folder: Path, profile: str) -> Policy | None:
    """The policy of a profile that reads the switch; None (and why, on stderr) otherwise."""
    if not PROFILE_NAME.fullmatch(profile):
        print(
            f"{profile!r} is not a profile name: give the name of a policy file in {folder} "
            "without .yaml (lowercase letters, digits and hyphens), not a path",
            file=sys.stderr,
        )
        return None
    try:
        policy = load_profile(folder, profile)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return None
    if not policy.kill_switch:
        print(
            f"{profile}: its function never reads the switch (its policy has no quotas, no "
            "spend and no kill_switch: true); add kill_switch: true and deploy it first "
            "(see docs/operations.md)",
            file=sys.stderr,
        )
        return None
    return policy
