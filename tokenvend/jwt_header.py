"""The header of a Google-signed JWT, and the published key it names.

Firebase and Google ID tokens and App Check tokens are all RS256 JWTs whose signing key
is chosen by the header's ``kid`` from keys Google publishes. Before any signature is
checked the header must say RS256 (``alg: none``, or HS256 keyed with the public key,
are the classic forgeries) and name a key that is current. The header is only base64
and JSON, so it is read here with the standard library, the same way for both
verifiers. The limits both verifiers share live here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TypeVar

from tokenvend.public_keys import PublicKeys

CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_CHARS = 8192  # ID tokens are about 1 KB; custom claims add at most 1 KB

Key = TypeVar("Key")


class KeyRefused(Exception):
    """No current key can verify the token; ``reason`` is a code for the log.

    ``malformed``: not three base64url parts with a JSON header; ``wrong_algorithm``:
    not RS256; ``unknown_key``: the ``kid`` is missing or not a key published now.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signing_key(token: str, keys: PublicKeys[Key]) -> Key:
    """The current key the header of ``token`` names; raises KeyRefused otherwise."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise KeyRefused("malformed")
    encoded = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    # UnicodeDecodeError is a ValueError too; RecursionError: [[[[… nested past the stack.
    except (ValueError, binascii.Error, RecursionError):
        raise KeyRefused("malformed") from None
    if not isinstance(header, dict):
        raise KeyRefused("malformed")
    if header.get("alg") != "RS256":
        raise KeyRefused("wrong_algorithm")
    key_id = header.get("kid")
    key = keys.key(key_id) if isinstance(key_id, str) and key_id else None
    if key is None:
        raise KeyRefused("unknown_key")
    return key
