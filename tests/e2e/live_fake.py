"""A fake of the Gemini Live API WebSocket, standing in for generativelanguage.googleapis.com.

It speaks the real wire protocol of ``BidiGenerateContent[Constrained]``: the client's
first frame is ``{"setup": {...}}``, answered with ``{"setupComplete": {}}``; each
``clientContent`` turn that ends with ``turnComplete`` is answered with a short model
turn in ``serverContent`` chunks, then ``generationComplete`` and ``turnComplete``. Like
the real service it sends its JSON in binary frames. It records each connection's URL
and first frame, and closes with 1008 for an access token it was not told about.

Try the example page against it by hand: ``python -m tests.e2e.live_fake --port 9100``
and set ``liveBaseUrl: 'http://127.0.0.1:9100'`` in ``examples/web/config.js``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

SERVICE = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService."
CONSTRAINED = SERVICE + "BidiGenerateContentConstrained"
REPLY_PREFIX = "Hello from the fake Live server. You said: "


@dataclass
class LiveConnection:
    """What one client sent: the URL it connected to and its frames, in order."""

    path: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_reason: str | None = None

    @property
    def method_path(self) -> str:
        """The path without its query, duplicate slashes collapsed (the SDK sends ``//ws``)."""
        return re.sub("/+", "/", self.path.partition("?")[0])

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.path.partition("?")[2])

    @property
    def setup(self) -> dict[str, Any] | None:
        return self.frames[0].get("setup") if self.frames else None


class FakeLive:
    def __init__(self, *, token_is_valid: Callable[[str], bool], port: int = 0) -> None:
        self.connections: list[LiveConnection] = []
        self._token_is_valid = token_is_valid
        self._lock = threading.Lock()
        self._server: Server = serve(self._handle, "127.0.0.1", port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What to give the SDK as ``httpOptions.baseUrl`` (it swaps http for ws itself)."""
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeLive:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def _handle(self, websocket: ServerConnection) -> None:
        connection = LiveConnection(path=websocket.request.path if websocket.request else "")
        with self._lock:
            self.connections.append(connection)
        refusal = self._refusal(connection)
        try:
            if refusal:
                connection.close_reason = refusal
                websocket.close(1008, refusal)
                return
            self._converse(websocket, connection)
        except ConnectionClosed:
            pass

    def _refusal(self, connection: LiveConnection) -> str | None:
        if connection.method_path != CONSTRAINED:
            return f"unknown method {connection.method_path}"
        tokens = connection.query.get("access_token", [])
        if len(tokens) != 1 or not self._token_is_valid(tokens[0]):
            return "invalid access token"
        return None

    def _converse(self, websocket: ServerConnection, connection: LiveConnection) -> None:
        for raw in websocket:
            frame = json.loads(raw)
            connection.frames.append(frame)
            if len(connection.frames) == 1:
                if "setup" not in frame:
                    connection.close_reason = "the first message must be setup"
                    websocket.close(1007, connection.close_reason)
                    return
                _send(websocket, {"setupComplete": {}})
                continue
            content = frame.get("clientContent")
            if content and content.get("turnComplete"):
                for message in _model_turn(_last_user_text(content)):
                    _send(websocket, message)


def _send(websocket: ServerConnection, message: dict[str, Any]) -> None:
    websocket.send(json.dumps(message).encode())  # bytes: a binary frame, as the service sends


def _last_user_text(content: dict[str, Any]) -> str:
    texts = [
        part["text"]
        for turn in content.get("turns", [])
        for part in turn.get("parts", [])
        if "text" in part
    ]
    return texts[-1] if texts else ""


def _model_turn(prompt: str) -> list[dict[str, Any]]:
    chunks = [REPLY_PREFIX, prompt]
    return [
        *({"serverContent": {"modelTurn": {"parts": [{"text": chunk}]}}} for chunk in chunks),
        {"serverContent": {"generationComplete": True}},
        {
            "serverContent": {"turnComplete": True},
            "usageMetadata": {
                "promptTokenCount": 12,
                "responseTokenCount": 9,
                "totalTokenCount": 21,
            },
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    port = parser.parse_args().port
    with FakeLive(token_is_valid=lambda token: token.startswith("auth_tokens/"), port=port) as fake:
        print(f"fake Live API on {fake.base_url} (any auth_tokens/... is accepted)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
