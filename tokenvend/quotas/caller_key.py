"""Whose quota a request counts against: the verified subject, else the client address.

A policy that checks callers counts by the verified issuer and subject. An anonymous
profile counts by the client's IP address: the right-most ``X-Forwarded-For`` entry,
which Cloud Run's front end appends (entries to its left are whatever the client sent,
so they must not change the key), or, with ``trusted_proxy_hops`` proxies of the
operator's own in front, that many entries further left. Without the header the socket
peer counts. An IPv6 client counts by its /64, the block one subscriber usually holds.

The key is an HMAC-SHA256 under a salt before it becomes part of a Firestore document
name, so the database never holds a raw address, uid or email.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable

from tokenvend.callers.caller import Caller

# Used when no salt is set: counting still works on every instance alike, but anyone
# who reads the database could test guessed addresses against the names.
_DEFAULT_SALT = b"tokenvend-quotas"
UNKNOWN_ADDRESS = "unknown"


def client_address(
    forwarded_for: Iterable[str], remote_addr: str | None, trusted_proxy_hops: int
) -> str:
    """The client address a request counts as, normalised; IPv6 as its /64."""
    entries = [entry.strip() for header in forwarded_for for entry in header.split(",")]
    entries = [entry for entry in entries if entry]
    if entries:
        # Fewer entries than hops means the request bypassed the proxies; the left-most
        # entry is then the best there is, and it is no worse than the peer.
        chosen = entries[max(len(entries) - 1 - trusted_proxy_hops, 0)]
    else:
        chosen = remote_addr or ""
    return _normalised(chosen)


def _normalised(text: str) -> str:
    try:
        address = ipaddress.ip_address(_without_port(text))
    except ValueError:
        # Garbage shares one counter: it cannot be used to get a fresh key per request.
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _without_port(text: str) -> str:
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        return text[1 : text.index("]")]
    if text.count(":") == 1:  # 203.0.113.7:443
        return text.partition(":")[0]
    return text


class CallerKeys:
    """Turns a request's caller into the hashed key of its per-caller counter."""

    def __init__(self, profile: str, *, trusted_proxy_hops: int, salt: bytes | None) -> None:
        self._profile = profile
        self._hops = trusted_proxy_hops
        self._salt = salt or _DEFAULT_SALT

    def key(self, caller: Caller, forwarded_for: Iterable[str], remote_addr: str | None) -> str:
        if caller.subject is not None:
            identity = f"subject\n{caller.subject}"
        else:
            identity = f"address\n{client_address(forwarded_for, remote_addr, self._hops)}"
        message = f"{self._profile}\n{identity}".encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()[:32]
