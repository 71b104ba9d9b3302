"""Builds the quota gate of a policy with a ``quotas`` section (or ``spend``, compiled into
quotas), and the pause gate of one that only reads the kill switch (``kill_switch: true``).

Imported by the composition root only for such policies: a profile without either
never loads this package. The gate gives the tokens its instance holds back when the
process exits normally: gunicorn's worker exits that way on SIGTERM (Cloud Run sends it
before stopping an instance) after finishing its requests, and runs ``atexit`` hooks.
"""

from __future__ import annotations

import atexit

from tokenvend import reasons
from tokenvend.clock import Clock
from tokenvend.errors import ConfigurationError, QuotaStoreUnavailable
from tokenvend.logs import StructuredLog
from tokenvend.policy.model import Policy
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.firestore import firestore_store
from tokenvend.quotas.gate import QuotaGate
from tokenvend.quotas.pause import PauseGate, PauseSwitch
from tokenvend.settings import Settings, env_name

WARN_EVERY_SECONDS = 3600.0


def quota_gate_for(
    policy: Policy, *, settings: Settings, clock: Clock, log: StructuredLog
) -> QuotaGate:
    """The quota gate of a policy that has a ``quotas`` section, counting in Firestore."""
    assert policy.quotas is not None
    keys = CallerKeys(
        policy.profile,
        trusted_proxy_hops=settings.trusted_proxy_hops,
        salt=settings.subject_hash_salt,
    )
    gate = QuotaGate(
        policy.profile,
        policy.quotas,
        store=firestore_store(settings),
        keys=keys,
        clock=clock,
        log=log,
        max_instances=policy.deploy.max_instances,
    )
    atexit.register(gate.release)
    return gate


def pause_gate_for(
    policy: Policy, *, settings: Settings, clock: Clock, log: StructuredLog
) -> PauseGate | None:
    """The kill switch of a profile without quotas, or None where no Firestore is named.

    Terraform names the project of every deployed profile. On Cloud Run a profile that
    asked for an emergency stop does not start without one; a local run (``make run``)
    without the project or the emulator serves without a switch to read.
    """
    if not (settings.firestore_emulator_host or settings.google_cloud_project):
        if settings.cloud_run_service:
            raise ConfigurationError(
                f"{policy.profile}: kill_switch: true needs "
                f"{env_name('google_cloud_project')} (the project of the Firestore database "
                "that holds the switch); Terraform sets it"
            )
        return None
    warned_at: list[float] = []

    def warn(error: QuotaStoreUnavailable) -> None:
        # Nothing is counted, only the switch is unknown: a line an hour is enough.
        now = clock.monotonic_seconds()
        if not warned_at or now - warned_at[-1] >= WARN_EVERY_SECONDS:
            warned_at[:] = [now]
            log.emit(
                "WARNING",
                f"kill switch unreadable, serving until it answers: {error.detail}",
                profile=policy.profile,
                reason=reasons.QUOTA_STORE_UNAVAILABLE,
            )

    switch = PauseSwitch(
        firestore_store(settings),
        policy.profile,
        clock=clock,
        refuse_when_unknown=False,
        on_failure=warn,
    )
    return PauseGate(switch)
