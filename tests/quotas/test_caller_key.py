"""Which address an anonymous request counts as, and how keys are hashed."""

from __future__ import annotations

import pytest

from tokenvend.callers.caller import Caller
from tokenvend.quotas.caller_key import UNKNOWN_ADDRESS, CallerKeys, client_address


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        (["203.0.113.7"], 0, "203.0.113.7"),
        # The client wrote the left-most entries itself; Cloud Run appended the last.
        (["1.2.3.4, 5.6.7.8, 203.0.113.7"], 0, "203.0.113.7"),
        (["1.2.3.4", "203.0.113.7"], 0, "203.0.113.7"),
        # A load balancer of the operator's appended one more entry.
        (["1.2.3.4, 203.0.113.7, 130.211.0.1"], 1, "203.0.113.7"),
        (["203.0.113.7"], 2, "203.0.113.7"),
        (["203.0.113.7:51234"], 0, "203.0.113.7"),
        (["[2001:db8:1:2:aaaa::1]:443"], 0, "2001:db8:1:2::/64"),
        (["::ffff:203.0.113.7"], 0, "203.0.113.7"),
        (["not-an-address"], 0, UNKNOWN_ADDRESS),
    ],
)
def test_client_address_is_the_right_most_entry_past_the_trusted_hops(
    forwarded_for: list[str], hops: int, expected: str
) -> None:
    assert client_address(forwarded_for, "10.0.0.1", hops) == expected


def test_without_the_header_the_socket_peer_counts() -> None:
    assert client_address([], "192.0.2.10", 0) == "192.0.2.10"
    assert client_address([""], "192.0.2.10", 0) == "192.0.2.10"


def test_ipv6_addresses_of_one_64_block_share_a_key() -> None:
    keys = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"s")
    anonymous = Caller(kind="anonymous")
    one = keys.key(anonymous, ["2001:db8:1:2::1"], None)
    same_block = keys.key(anonymous, ["2001:db8:1:2:ffff:ffff:ffff:ffff"], None)
    next_block = keys.key(anonymous, ["2001:db8:1:3::1"], None)
    assert one == same_block != next_block


def test_spoofed_left_entries_do_not_change_the_key() -> None:
    keys = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"s")
    anonymous = Caller(kind="anonymous")
    honest = keys.key(anonymous, ["203.0.113.7"], None)
    spoofed = keys.key(anonymous, ["198.51.100.1, 203.0.113.7"], None)
    assert honest == spoofed


def test_keys_depend_on_the_salt_and_the_profile_and_are_hex() -> None:
    anonymous = Caller(kind="anonymous")
    key = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"a").key(anonymous, ["192.0.2.1"], None)
    other_salt = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"b")
    other_profile = CallerKeys("desk", trusted_proxy_hops=0, salt=b"a")
    assert other_salt.key(anonymous, ["192.0.2.1"], None) != key
    assert other_profile.key(anonymous, ["192.0.2.1"], None) != key
    assert len(key) == 32 and int(key, 16) >= 0
