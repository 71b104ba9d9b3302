"""Compiles a policy into the body of Gemini's ``v1alpha/auth_tokens`` request.

A pure function of the token rules, the live constraints and one clock reading, so the
exact bytes on the wire can be tested. Key order, camelCase and the field-mask rule
follow the JSON the official JS SDK sends for the same ``authTokens.create`` config,
except that every generation field in ``lockAdditionalFields`` maps to
``generationConfig.<name>`` (the SDK maps only some of them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tokenvend.jsonvalues import thaw
from tokenvend.policy.fields import GENERATION_FIELDS, SETUP_FIELDS, mask_path
from tokenvend.policy.model import LiveConstraints, TokenRules

JsonObject = dict[str, Any]


def build_token_request(
    token: TokenRules, live: LiveConstraints | None, now: datetime
) -> JsonObject:
    """The ``auth_tokens`` body of a token minted at ``now``, which must be a UTC datetime."""
    _require_utc(now)
    body: JsonObject = {
        "expireTime": rfc3339(now + timedelta(seconds=token.expire_after_seconds)),
        "newSessionExpireTime": rfc3339(
            now + timedelta(seconds=token.new_session_expire_after_seconds)
        ),
        "uses": token.uses,
    }
    if live is None:
        return body
    setup = build_setup(live)
    body["bidiGenerateContentSetup"] = setup
    mask = field_mask(setup, live.lock.additional_fields)
    if live.lock.mode == "configured":
        body["fieldMask"] = ",".join(mask)
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The bytes on the wire: compact JSON, non-ASCII kept, key order kept.

    ``allow_nan=False``: NaN is not JSON, and Gemini would refuse every request.
    """
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True)
class EncodedTokenRequest:
    """A token request as sent (``payload``), with the two times it carries."""

    payload: bytes
    expire_time: str
    new_session_expire_time: str


class TokenRequestTemplate:
    """One policy's token request, encoded once at cold start: a request fills in the times.

    The same bytes as ``encode_body(build_token_request(...))``, without compiling and
    encoding the whole body for every token.
    """

    def __init__(self, token: TokenRules, live: LiveConstraints | None) -> None:
        self._expire_after = timedelta(seconds=token.expire_after_seconds)
        self._new_session_after = timedelta(seconds=token.new_session_expire_after_seconds)
        body = build_token_request(token, live, _ANY_MOMENT)
        # The two times come first (build_token_request's order); the rest is fixed.
        rest = {key: value for key, value in body.items() if key not in _TIMES}
        self._tail = b"," + encode_body(rest)[1:]

    def encode(self, now: datetime) -> EncodedTokenRequest:
        """The request of a token minted at ``now``, a UTC datetime in whole seconds."""
        _require_utc(now)
        expire = rfc3339(now + self._expire_after)
        new_session = rfc3339(now + self._new_session_after)
        head = f'{{"expireTime":"{expire}","newSessionExpireTime":"{new_session}"'
        return EncodedTokenRequest(head.encode() + self._tail, expire, new_session)


_TIMES = ("expireTime", "newSessionExpireTime")
_ANY_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def _require_utc(now: datetime) -> None:
    """Refuses a naive ``now`` or one off UTC: a programming error, not a request's.

    The times are written as ``now``'s digits with a Z, so only its offset matters.
    """
    if now.utcoffset() != timedelta(0):
        raise ValueError("now must be a timezone-aware UTC datetime")


def auth_tokens_url(endpoint: str, api_version: str) -> str:
    """Where the body goes: the ``auth_tokens`` method of an API base URL and version."""
    return f"{endpoint.rstrip('/')}/{api_version}/auth_tokens"


def rfc3339(moment: datetime) -> str:
    """Whole-second RFC 3339 UTC with a ``Z`` suffix, as Gemini and the SDKs write it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def model_resource(model: str) -> str:
    """The model as a resource name: ``models/`` is prepended unless it already names one."""
    if model.startswith(("models/", "tunedModels/")):
        return model
    return f"models/{model}"


def build_setup(live: LiveConstraints) -> JsonObject:
    """The ``bidiGenerateContentSetup``; a plain-text ``systemInstruction`` becomes a Content."""
    config = live.config
    setup: JsonObject = {"model": model_resource(live.model)}
    generation = {name: thaw(config[name]) for name in GENERATION_FIELDS if name in config}
    if generation:
        setup["generationConfig"] = generation
    for name in SETUP_FIELDS:
        if name not in config:
            continue
        value = thaw(config[name])
        if name == "systemInstruction" and isinstance(value, str):
            value = {"parts": [{"text": value}], "role": "user"}
        setup[name] = value
    return setup


def field_mask(setup: Mapping[str, Any], additional_fields: tuple[str, ...]) -> list[str]:
    """Paths of the locked fields: everything configured, then the extra lock names."""
    paths: list[str] = []
    for key, value in setup.items():
        if isinstance(value, Mapping) and value:
            paths.extend(f"{key}.{subkey}" for subkey in value)
        else:
            paths.append(key)
    for name in additional_fields:
        path = mask_path(name)
        if not is_covered(path, paths):
            paths.append(path)
    return paths


def is_covered(path: str, paths: list[str]) -> bool:
    """Whether ``path`` is already locked: itself, or a field it belongs to, is in the mask.

    A field whose sub-fields are in the mask is not covered: locking it whole also locks
    the sub-fields the policy did not configure.
    """
    return any(path == locked or path.startswith(f"{locked}.") for locked in paths)
