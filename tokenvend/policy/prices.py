"""What a minute of a Live session costs: the catalogue's prices, or the policy's own.

The prices sit beside each model in ``models.json``, each with its source, the day it
was read and whether it was read on Google's own pricing page (``confirmed``); the
catalogue's ``pricing`` block says what the per-minute figures rest on and what they do
not bound. A policy's ``spend.prices`` replaces the catalogue's for every model the
policy may use. Read once, like the rest of the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tokenvend.policy.catalogue import CATALOGUE_PATH

POLICY_SOURCE = "the policy's spend.prices"


@dataclass(frozen=True)
class Prices:
    """USD per minute of audio in and out (and of video in, when known), and where from."""

    input_usd_per_minute: float
    output_usd_per_minute: float
    video_input_usd_per_minute: float | None = None
    source: str = POLICY_SOURCE
    confirmed: bool = True  # a policy's own prices are its author's word
    checked_on: str = ""

    @property
    def usd_per_minute(self) -> float:
        """Input and output together: a session may stream both for its whole length."""
        video = self.video_input_usd_per_minute or 0.0
        return self.input_usd_per_minute + self.output_usd_per_minute + video


@dataclass(frozen=True)
class PriceList:
    """Every model's prices, those without, and what the figures rest on."""

    prices: Mapping[str, Prices]
    unknown: Mapping[str, str]  # model => why there is no price
    audio_tokens_per_second: int
    tokens_source: str
    not_bounded: tuple[str, ...]

    def of(self, model: str) -> Prices | None:
        """The catalogue's prices of a policy's model name (with or without ``models/``)."""
        return self.prices.get(model.removeprefix("models/"))

    def why_unknown(self, model: str) -> str:
        name = model.removeprefix("models/")
        return self.unknown.get(name, f"{name} has no prices in the model catalogue")


@cache
def price_list() -> PriceList:
    """The prices in ``models.json``, read once."""
    return parse_prices(json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")))


def parse_prices(data: Mapping[str, Any]) -> PriceList:
    """The price list of a ``models.json`` document; a mistake in it fails loudly."""
    prices, unknown = {}, {}
    for name, entry in data["models"].items():
        found = entry.get("prices")
        if found is None:
            if entry.get("status") != "retired":
                unknown[name] = entry.get("prices_unknown", f"no price is known for {name}")
            continue
        sides = [found["input_usd_per_minute"], found["output_usd_per_minute"]]
        prices[name] = Prices(
            input_usd_per_minute=float(sides[0]["usd"]),
            output_usd_per_minute=float(sides[1]["usd"]),
            source="; ".join(dict.fromkeys(side["source"] for side in sides)),
            confirmed=all(side["confirmed"] for side in sides),
            checked_on=min(side["checked_on"] for side in sides),
        )
    pricing = data["pricing"]
    return PriceList(
        prices=prices,
        unknown=unknown,
        audio_tokens_per_second=int(pricing["audio_tokens_per_second"]),
        tokens_source=pricing["audio_tokens_per_second_source"],
        not_bounded=tuple(pricing["not_bounded"]),
    )


def policy_prices(prices: Mapping[str, Any]) -> Prices:
    """The ``spend.prices`` block of a policy, as prices."""
    video = prices.get("video_input_usd_per_minute")
    return Prices(
        input_usd_per_minute=float(prices["input_usd_per_minute"]),
        output_usd_per_minute=float(prices["output_usd_per_minute"]),
        video_input_usd_per_minute=None if video is None else float(video),
    )
