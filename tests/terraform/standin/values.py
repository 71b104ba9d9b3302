"""Terraform values on the wire: msgpack, with unknown values as extension 0.

Values are decoded into plain Python data (dict, list, str, int, float, bool,
None) plus the UNKNOWN marker; the encoding round-trips, so what Terraform sent
can be sent back unchanged where nothing is computed.
"""

from __future__ import annotations

import json
from typing import Any, Final

from tests.terraform.standin.protocol import msgpack


class Unknown:
    """A value Terraform (or the provider) does not know until apply."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()


def _ext_hook(code: int, data: bytes) -> Any:
    # Extension 0 is an unknown value; 12 is an unknown with refinements
    # (newer Terraform): the stand-in treats both as plain unknown.
    if code in (0, 12):
        return UNKNOWN
    return msgpack().ExtType(code, data)


def _default(value: Any) -> Any:
    if value is UNKNOWN:
        return msgpack().ExtType(0, b"\x00")
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(dynamic_value: Any) -> Any:
    """A tfplugin6 DynamicValue (msgpack or JSON) as Python data."""
    if dynamic_value.msgpack:
        return msgpack().unpackb(
            dynamic_value.msgpack, raw=False, ext_hook=_ext_hook, strict_map_key=False
        )
    if dynamic_value.json:
        return json.loads(dynamic_value.json)
    return None


def encode(value: Any) -> bytes:
    packed: bytes = msgpack().packb(value, default=_default, use_bin_type=True)
    return packed
