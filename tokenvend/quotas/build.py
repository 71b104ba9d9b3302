"""Builds the quota gate of a policy with a ``quotas`` section.

Imported by the composition root only for such policies: a profile without quotas
never loads this package. The gate gives the tokens its instance holds back when the
process exits normally: gunicorn's worker exits that way on SIGTERM (Cloud Run sends it
before stopping an instance) after finishing its requests, and runs ``atexit`` hooks.
"""

from __future__ import annotations

import atexit

from tokenvend.clock import Clock
from tokenvend.logs import StructuredLog
from tokenvend.policy.model import Policy
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.firestore import firestore_store
from tokenvend.quotas.gate import QuotaGate
from tokenvend.settings import Settings


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
