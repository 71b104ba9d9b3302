"""The composed service: policy, API key source, minter and clock, per instance.

One token costs two steps: ``order`` applies the client's options (refused with 400
before anything is counted), and ``mint`` reads the clock once, fills the times into
the request (compiled once at cold start, and once per choice of client options), gets
the key (cached), calls Gemini and describes the result for the browser. Quotas
sit between the two, so they count only requests that would be minted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tokenvend.clock import Clock
from tokenvend.gemini.api_key import ApiKeySource
from tokenvend.gemini.minter import TokenMinter
from tokenvend.gemini.request import TokenRequestTemplate, model_resource
from tokenvend.policy.model import LiveConstraints, Policy
from tokenvend.policy.options import apply_options

# Choices of client options whose compiled request is kept; past it, a stranger sending
# ever new values (a range admits many numbers) only costs a compile per request.
MAX_KEPT_ORDERS = 256


@dataclass(frozen=True)
class Order:
    """A request whose options passed: the Live constraints to mint a token for, compiled."""

    live: LiveConstraints | None
    request: TokenRequestTemplate


@dataclass(frozen=True)
class TokenGrant:
    """What a minted token gives the browser (``to_json``), and Gemini's call time for the log."""

    name: str
    expire_time: str
    new_session_expire_time: str
    uses: int
    model: str | None
    api_version: str
    websocket_url: str
    upstream_ms: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expireTime": self.expire_time,
            "newSessionExpireTime": self.new_session_expire_time,
            "uses": self.uses,
            "model": self.model,
            "apiVersion": self.api_version,
            "websocketUrl": self.websocket_url,
        }


class TokenVendor:
    """One profile's token service: ``order`` checks the options, ``mint`` gets the token."""

    def __init__(
        self,
        policy: Policy,
        *,
        api_keys: ApiKeySource,
        minter: TokenMinter,
        clock: Clock,
        api_version: str,
        websocket_url: str,
    ) -> None:
        self.policy = policy
        self._api_keys = api_keys
        self._minter = minter
        self._clock = clock
        self._api_version = api_version
        self._websocket_url = websocket_url
        self._plain = Order(policy.live, TokenRequestTemplate(policy.token, policy.live))
        self._orders: dict[str, Order] = {}

    def order(self, options: Mapping[str, Any]) -> Order:
        """The client's options applied to the constraints; InvalidArgument if refused."""
        # The options enter the constraints (400 if refused), so they are locked like the rest.
        if not options and not self.policy.client_options:
            return self._plain
        # Keyed by the JSON text, not by Python equality, which takes true for 1.
        try:
            key: str | None = json.dumps(options, sort_keys=True)
        except (ValueError, TypeError, RecursionError):  # refused by apply_options below
            key = None
        kept = self._orders.get(key) if key is not None else None
        if kept is not None:
            return kept
        live = apply_options(self.policy.live, self.policy.client_options, options)
        order = Order(live, TokenRequestTemplate(self.policy.token, live))
        if key is not None and len(self._orders) < MAX_KEPT_ORDERS:
            self._orders[key] = order
        return order

    def mint(self, order: Order) -> TokenGrant:
        live = order.live
        now = self._clock.now().replace(microsecond=0)
        request = order.request.encode(now)
        minted = self._minter.mint(self._api_keys.api_key(), request.payload)
        return TokenGrant(
            name=minted.name,
            expire_time=request.expire_time,
            new_session_expire_time=request.new_session_expire_time,
            uses=self.policy.token.uses,
            model=model_resource(live.model) if live else None,
            api_version=self._api_version,
            websocket_url=self._websocket_url,
            upstream_ms=minted.upstream_ms,
        )
