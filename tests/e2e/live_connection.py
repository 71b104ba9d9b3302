"""What the Live stand-in records about one WebSocket connection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.e2e.live_audio import chunk_ms

SERVICE = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService."
CONSTRAINED = SERVICE + "BidiGenerateContentConstrained"


@dataclass
class LiveConnection:
    """The URL a client connected to, its frames (audio summarised) and what it was sent."""

    path: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_reason: str | None = None
    resumable: bool = False
    resumed_with: str | None = None
    generation: int = 0  # how many times the conversation was resumed to get here
    step: int = 0  # how far the stand-in's script has gone on this connection
    audio_chunks: int = 0
    non_silent_chunks: int = 0
    mime_types: set[str] = field(default_factory=set)
    audio_ms_sent: float = 0.0
    sent_kinds: list[str] = field(default_factory=list)
    handles_issued: list[str] = field(default_factory=list)

    @property
    def method_path(self) -> str:
        """The path without its query, duplicate slashes collapsed (the SDK sends ``//ws``)."""
        return re.sub("/+", "/", self.path.partition("?")[0])

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.path.partition("?")[2])

    @property
    def token(self) -> str | None:
        tokens = self.query.get("access_token", [])
        return tokens[0] if len(tokens) == 1 else None

    @property
    def setup(self) -> dict[str, Any] | None:
        return self.frames[0].get("setup") if self.frames else None

    def record(self, frame: dict[str, Any]) -> None:
        """Keeps the frame, with audio data replaced by its size (it would be megabytes)."""
        audio = frame.get("realtimeInput", {}).get("audio")
        if audio:
            summary = {"mimeType": audio.get("mimeType"), "bytes": len(audio.get("data", ""))}
            frame = {"realtimeInput": {"audio": summary}}
        self.frames.append(frame)

    def hear(self, mime_type: str, *, silent: bool) -> None:
        self.audio_chunks += 1
        self.mime_types.add(mime_type)
        self.non_silent_chunks += not silent

    def sent(self, message: dict[str, Any]) -> None:
        kind = next(iter(message))
        content = message.get("serverContent", {})
        for part in content.get("modelTurn", {}).get("parts", []):
            self.audio_ms_sent += chunk_ms(part["inlineData"]["data"])
        self.sent_kinds.append(f"{kind}.{next(iter(content))}" if content else kind)

    def summary(self) -> dict[str, Any]:
        return {
            "method_path": self.method_path,
            "resumed_with": self.resumed_with,
            "generation": self.generation,
            "setup": self.setup,
            "audio_chunks": self.audio_chunks,
            "non_silent_chunks": self.non_silent_chunks,
            "mime_types": sorted(self.mime_types),
            "audio_ms_sent": self.audio_ms_sent,
            "sent": self.sent_kinds,
            "handles_issued": self.handles_issued,
            "other_frames": [f for f in self.frames[1:] if "realtimeInput" not in f],
            "close_reason": self.close_reason,
        }
