"""The LiveConnectConfig fields tokenvend supports, in the order they go on the wire.

Generation fields travel inside ``generationConfig``; setup fields sit beside it in
``bidiGenerateContentSetup``. The orders are the wire contract (docs/policies.md, "The
request tokenvend sends"): the order in which the SDKs' LiveConnectConfig converters
write them (``historyConfig``, which only the Python SDK sends, where that SDK puts it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GENERATION_FIELDS = (
    "responseModalities",
    "temperature",
    "topP",
    "topK",
    "maxOutputTokens",
    "mediaResolution",
    "seed",
    "speechConfig",
    "thinkingConfig",
    "enableAffectiveDialog",
    "translationConfig",
)

SETUP_FIELDS = (
    "systemInstruction",
    "tools",
    "sessionResumption",
    "inputAudioTranscription",
    "outputAudioTranscription",
    "realtimeInputConfig",
    "contextWindowCompression",
    "proactivity",
    "historyConfig",
    "avatarConfig",
    "safetySettings",
    "labels",
)


def mask_path(field_name: str) -> str:
    """The field-mask path of a LiveConnectConfig field name."""
    if field_name in GENERATION_FIELDS:
        return f"generationConfig.{field_name}"
    return field_name


def in_wire_order(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config fields in the documented order, whatever order they were written in."""
    return {name: config[name] for name in (*GENERATION_FIELDS, *SETUP_FIELDS) if name in config}
