"""The request body: ``{}``, no body, or ``{"options": {...}}``, at most 16 KiB.

The body is read only after the caller passed its checks, in as many pieces as it
arrives in, and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Request

from tokenvend import reasons
from tokenvend.errors import InvalidArgument, PayloadTooLarge, UnsupportedMediaType
from tokenvend.jsonvalues import show

MAX_BODY_BYTES = 16 * 1024
BODY_FIELDS = ("options",)


def read_options(request: Request) -> Mapping[str, Any]:
    """The client options of a POST body: ``{}``, no body, or ``{"options": {...}}``."""
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise PayloadTooLarge(MAX_BODY_BYTES)
    data = b"" if declared == 0 else _read_at_most(request, MAX_BODY_BYTES)
    if not data.strip():
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    if data == b"{}":  # what nearly every request sends: no parse needed
        return {}
    try:
        document = json.loads(data, object_pairs_hook=_object_without_repeats)
    except _RepeatedKey as repeated:
        raise InvalidArgument(
            f"request body repeats the key {show(repeated.key)}", reason=reasons.MALFORMED_JSON
        ) from None
    except (ValueError, RecursionError):  # RecursionError: [[[[… nested past the stack
        raise InvalidArgument(
            "request body is not valid JSON", reason=reasons.MALFORMED_JSON
        ) from None
    if not isinstance(document, dict):
        raise InvalidArgument("request body must be a JSON object", reason=reasons.MALFORMED_JSON)
    unknown = sorted(set(document) - set(BODY_FIELDS))
    if unknown:
        raise InvalidArgument(
            f"unknown request field {unknown[0]!r}; allowed: {', '.join(BODY_FIELDS)}",
            reason=reasons.UNKNOWN_FIELD,
        )
    options = document.get("options", {})
    if not isinstance(options, dict):
        raise InvalidArgument("'options' must be a JSON object", reason=reasons.MALFORMED_JSON)
    return options


class _RepeatedKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a key appears twice: which one counts is ambiguous
    (Python keeps the last, other parsers the first), as in policy YAML."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKey(key)
        document[key] = value
    return document


def _read_at_most(request: Request, limit_bytes: int) -> bytes:
    """The body, read in as many pieces as it arrives in, refused once over the limit."""
    chunks: list[bytes] = []
    received = 0
    while chunk := request.stream.read(limit_bytes + 1 - received):
        chunks.append(chunk)
        received += len(chunk)
        if received > limit_bytes:
            raise PayloadTooLarge(limit_bytes)
    return b"".join(chunks)
