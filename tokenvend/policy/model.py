"""The frozen policy a request reads: plain dataclasses, built once at cold start.

Nothing past the loader reads the raw YAML or the schema: what a request needs to know
about a field, such as whether it takes only integers, is worked out when the policy
loads and kept here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tokenvend.jsonvalues import FrozenJson
from tokenvend.policy.access import Access
from tokenvend.policy.cost import WorstCase
from tokenvend.policy.prices import Prices

# A profile's name: its policy file's, its function's, its environment's. Terraform's
# check of the file names (terraform/modules/profiles/main.tf) is tested against it.
PROFILE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")


def session_models(model: str, choices: Iterable[Iterable[Any]]) -> list[str]:
    """Every model a session may use: the policy's, then each a client option offers.

    ``choices`` are the ``allowed`` lists of the options whose field is ``model``.
    """
    models = [model]
    for allowed in choices:
        models += [str(choice) for choice in allowed if str(choice) not in models]
    return models


@dataclass(frozen=True)
class TokenRules:
    """What every token allows: ``uses`` sessions, its lifetime, and the window to start them."""

    uses: int
    expire_after_seconds: int
    new_session_expire_after_seconds: int


@dataclass(frozen=True)
class Lock:
    """Which fields the browser may not change (the SDK's ``lockAdditionalFields``)."""

    mode: Literal["all", "configured"]
    additional_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveConstraints:
    """The model and LiveConnectConfig every token is bound to, and which fields are locked."""

    model: str
    config: Mapping[str, FrozenJson]
    lock: Lock
    # The author's word that the profile is safe only while its systemInstruction holds.
    instruction_must_hold: bool = False


@dataclass(frozen=True)
class ClientOption:
    """A setting the browser may choose: one field, the values allowed, a default.

    ``field`` is ``("model",)`` or a LiveConnectConfig path. Exactly one of ``allowed``
    and the ``minimum``/``maximum`` range is set; every value they admit was checked
    against the schema at load time. ``integer_only`` says the field's schema type is
    integer, so a range admits only whole numbers. ``default`` is the policy's default,
    or the value ``live`` configures for the field; None means the browser must choose.
    """

    name: str
    field: tuple[str, ...]
    allowed: tuple[FrozenJson, ...] | None
    minimum: float | None
    maximum: float | None
    default: FrozenJson
    description: str = ""
    integer_only: bool = False


@dataclass(frozen=True)
class Deploy:
    """The ``deploy`` section; Terraform reads the file itself, ``lint`` reads ``public``."""

    public: bool
    min_instances: int = 0
    max_instances: int = 10
    memory_mb: int = 256


@dataclass(frozen=True)
class Limit:
    """At most ``tokens`` tokens per fixed window of ``per_seconds`` seconds."""

    tokens: int
    per_seconds: int


@dataclass(frozen=True)
class Quotas:
    """Budget protection, counted in Firestore across instances (``tokenvend.quotas``)."""

    per_caller: Limit | None = None
    per_profile: Limit | None = None
    when_store_unavailable: Literal["refuse", "allow"] = "refuse"


@dataclass(frozen=True)
class SpendLimit:
    """At most ``usd`` per window of ``per_seconds``: ``tokens`` tokens at the worst case."""

    usd: float
    per_seconds: int
    tokens: int


@dataclass(frozen=True)
class Spend:
    """The ``spend`` section: dollar limits (already compiled into ``quotas``) and prices."""

    per_caller: SpendLimit | None
    per_profile: SpendLimit | None
    prices: Prices | None  # the policy's own; None: the catalogue's
    worst: WorstCase


@dataclass(frozen=True)
class Policy:
    """One profile's policy file, checked and frozen: all a request needs to know."""

    profile: str
    source: str
    description: str
    token: TokenRules
    live: LiveConstraints | None  # None: unconstrained
    access: Access
    deploy: Deploy
    client_options: tuple[ClientOption, ...] = ()
    quotas: Quotas | None = None  # with the spend limits compiled in
    spend: Spend | None = None
    # The instance reads the kill switch: always with quotas, else when the policy opts in.
    kill_switch: bool = False

    def session_models(self) -> list[str]:
        """Every model a token of this policy may open a session with (none if unconstrained)."""
        if self.live is None:
            return []
        choices = (
            option.allowed
            for option in self.client_options
            if option.field == ("model",) and option.allowed is not None
        )
        return session_models(self.live.model, choices)
