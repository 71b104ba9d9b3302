"""The composed vendor: each choice of client options compiled once, and exactly as fresh."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from tokenvend.errors import InvalidArgument
from tokenvend.gemini.api_key import StaticApiKey
from tokenvend.gemini.minter import MintedToken
from tokenvend.gemini.request import build_token_request, encode_body
from tokenvend.policy.loader import load_policy
from tokenvend.policy.options import apply_options
from tokenvend.vendor import MAX_KEPT_ORDERS, TokenVendor

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "policies"


class RecordingMinter:
    """A ``TokenMinter`` that keeps every body it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def mint(self, api_key: str, body: Mapping[str, Any] | bytes) -> MintedToken:
        assert isinstance(body, bytes)
        self.sent.append(body)
        return MintedToken(name=f"auth_tokens/{len(self.sent)}", upstream_ms=1.0)


def vendor_for(policy_file: str, minter: RecordingMinter, clock: FakeClock) -> TokenVendor:
    return TokenVendor(
        load_policy(EXAMPLES / policy_file),
        api_keys=StaticApiKey("AIzaSyTEST-key-0123456789abcdefghijklmno"),
        minter=minter,
        clock=clock,
        api_version="v1alpha",
        websocket_url="wss://example/ws",
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"voice": "Puck"}, {"temperature": 1}, {"temperature": 1.0}, {"voice": "Charon"}],
    ids=["defaults", "a-voice", "an-integer", "the-same-as-a-float", "another-voice"],
)
def test_a_chosen_option_sends_what_a_fresh_build_would_each_time_it_is_chosen(
    options: dict[str, Any], clock: FakeClock
) -> None:
    minter = RecordingMinter()
    vendor = vendor_for("voice-picker.yaml", minter, clock)
    policy = vendor.policy
    for _ in range(2):
        grant = vendor.mint(vendor.order(options))
        live = apply_options(policy.live, policy.client_options, options)
        fresh = build_token_request(policy.token, live, clock.now())
        assert minter.sent[-1] == encode_body(fresh)
        assert grant.expire_time == fresh["expireTime"]
        clock.advance(61)
    assert vendor.order(options) is vendor.order(options)


def test_options_that_are_refused_are_refused_every_time_and_not_kept(clock: FakeClock) -> None:
    vendor = vendor_for("voice-picker.yaml", RecordingMinter(), clock)
    for _ in range(2):
        with pytest.raises(InvalidArgument):
            vendor.order({"voice": "Nobody"})


def test_past_the_kept_choices_a_new_one_is_still_served_exactly(clock: FakeClock) -> None:
    minter = RecordingMinter()
    vendor = vendor_for("voice-picker.yaml", minter, clock)
    policy = vendor.policy
    for step in range(MAX_KEPT_ORDERS + 2):
        options = {"temperature": round(0.2 + step / 1000, 4)}
        vendor.mint(vendor.order(options))
        live = apply_options(policy.live, policy.client_options, options)
        assert minter.sent[-1] == encode_body(build_token_request(policy.token, live, clock.now()))


def test_a_kept_choice_is_never_mistaken_for_an_equal_python_value(clock: FakeClock) -> None:
    minter = RecordingMinter()
    vendor = vendor_for("voice-picker.yaml", minter, clock)
    policy = vendor.policy
    vendor.order({"temperature": 1})
    with pytest.raises(InvalidArgument):  # true == 1 in Python; it is not a temperature
        vendor.order({"temperature": True})
    vendor.mint(vendor.order({"temperature": 1.0}))
    live = apply_options(policy.live, policy.client_options, {"temperature": 1.0})
    assert minter.sent[-1] == encode_body(build_token_request(policy.token, live, clock.now()))
