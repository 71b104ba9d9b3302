"""The composed service: policy, API key source, minter and clock, per instance.

One token costs two steps: ``order`` applies the client's options (refused with 400
before anything is counted), and ``mint`` reads the clock once, fills the times into
the request (compiled once at cold start; per request only when client options change
it), gets the key (cached), calls Gemini and describes the result for the browser. Quotas
sit between the two, so they count only requests that would be minted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tokenvend.clock import Clock
from tokenvend.gemini.api_key import ApiKeySource
from tokenvend.gemini.minter import TokenMinter
from tokenvend.gemini.request import TokenRequestTemplate, model_resource
from tokenvend.policy.model import LiveConstraints, Policy
from tokenvend.policy.options import apply_options


@dataclass(frozen=True)
class Order:
    """A request whose options passed: the Live constraints to mint a token for."""

    live: LiveConstraints | None


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
        self._template = TokenRequestTemplate(policy.token, policy.live)

    def order(self, options: Mapping[str, Any]) -> Order:
        """The client's options applied to the constraints; InvalidArgument if refused."""
        # The options enter the constraints (400 if refused), so they are locked like the rest.
        return Order(apply_options(self.policy.live, self.policy.client_options, options))

    def mint(self, order: Order) -> TokenGrant:
        live = order.live
        now = self._clock.now().replace(microsecond=0)
        template = self._template
        if live is not self.policy.live:  # client options wrote into the constraints
            template = TokenRequestTemplate(self.policy.token, live)
        request = template.encode(now)
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
