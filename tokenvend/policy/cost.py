"""The most one token can cost, worked out from the policy alone.

A token starts at most ``uses`` sessions (they may run side by side), and Gemini ends
every session at ``expireTime``, ``expire_after_seconds`` after minting. So a token
costs at most ``uses`` x that many minutes of audio in and out, at the dearest prices
of any model the token may open. ``uses: 0`` (unlimited) and an unconstrained profile
(any model) have no such bound; nor has a model without a price, unless the policy
gives its own. What the figure leaves out is listed with it, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokenvend.policy.prices import Prices, price_list


@dataclass(frozen=True)
class WorstCase:
    """The most a token can cost, the model and prices that give it, and what it rests on."""

    usd_per_token: float
    model: str
    prices: Prices
    sessions: int
    session_seconds: int
    assumptions: tuple[str, ...]


class NoBound(ValueError):
    """The policy sets no bound on what a token can cost; the message says why."""


def worst_case(
    uses: int, expire_after_seconds: int, models: Sequence[str], prices: Prices | None
) -> WorstCase:
    """The worst case of a token; NoBound when the policy puts no bound on it.

    ``models`` are every model a token may open (empty: unconstrained); ``prices``
    the policy's own, which replace the catalogue's for all of them.
    """
    if not models:
        raise NoBound(
            "live: unconstrained lets the browser choose any model and any config, so "
            "nothing bounds what a token costs; name a model in live"
        )
    if uses == 0:
        raise NoBound(
            "token.uses: 0 lets a token start any number of sessions, so nothing bounds "
            "what it costs; set uses to the sessions a token needs (1 for one conversation)"
        )
    catalogue = price_list()
    priced: list[tuple[str, Prices]] = []
    for model in models:
        found = prices or catalogue.of(model)
        if found is None:
            raise NoBound(
                f"{catalogue.why_unknown(model)}; give the prices in spend.prices "
                "(input_usd_per_minute, output_usd_per_minute)"
            )
        priced.append((model.removeprefix("models/"), found))
    model, dearest = max(priced, key=lambda item: item[1].usd_per_minute)
    minutes = expire_after_seconds / 60
    return WorstCase(
        usd_per_token=uses * minutes * dearest.usd_per_minute,
        model=model,
        prices=dearest,
        sessions=uses,
        session_seconds=expire_after_seconds,
        assumptions=_assumptions(uses, minutes, model, dearest),
    )


def _assumptions(uses: int, minutes: float, model: str, prices: Prices) -> tuple[str, ...]:
    catalogue = price_list()
    video = (
        f", ${prices.video_input_usd_per_minute:g}/min video in"
        if prices.video_input_usd_per_minute is not None
        else ""
    )
    said = "" if prices.confirmed else "not confirmed on Google's pricing page: "
    checked = f"; checked {prices.checked_on}" if prices.checked_on else ""
    lines = [
        f"at most {uses} session(s) per token, side by side, each ended by Gemini at "
        f"expireTime, {minutes:g} min after minting (Gemini enforces uses and expireTime, "
        "not tokenvend)",
        "audio streams in and out for the whole of every session",
        "a resumed session (sessionResumption, which uses no use) continues its session "
        "and is not a second one beside it (not verified: make smoke does not probe "
        "two resumptions of one handle at once)",
        f"{model}: ${prices.input_usd_per_minute:g}/min audio in, "
        f"${prices.output_usd_per_minute:g}/min audio out{video} "
        f"({said}{prices.source}{checked})",
    ]
    if not prices.confirmed:
        lines.append(
            f"prices given per token are turned into per minute at "
            f"{catalogue.audio_tokens_per_second} audio tokens per second "
            f"({catalogue.tokens_source})"
        )
    if prices.video_input_usd_per_minute is None:
        lines.append(
            "video frames are not priced: a caller streaming video costs more "
            "(spend.prices.video_input_usd_per_minute prices it)"
        )
    lines += [f"not bounded: {text}" for text in catalogue.not_bounded]
    return tuple(lines)


def usd(amount: float) -> str:
    """A dollar amount as people read it: cents for sums, more digits for small ones."""
    if amount >= 1:
        return f"${amount:,.2f}"
    return f"${amount:.4f}"
