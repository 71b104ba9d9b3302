"""A stand-in for the Gemini Live API WebSocket (generativelanguage.googleapis.com).

It speaks the wire protocol of ``BidiGenerateContent[Constrained]`` and, like the real
service, sends its JSON in binary frames: the client's first frame is ``{"setup": ...}``,
answered with ``{"setupComplete": {}}``. Then:

- a ``clientContent`` turn ending in ``turnComplete`` gets a model turn: audio chunks
  (24 kHz PCM) with the reply as ``outputTranscription``, then ``turnComplete``;
- realtime audio (``realtimeInput.audio``) is recorded (mime type, silent or not) and
  drives a script: after half a second of it a new connection gets a spoken turn, a
  session resumption handle and a ``goAway``; once resumed with that handle, a turn
  that is ``interrupted`` half-way (the user talking over the model), then the
  connection drops without warning (close code 1011); resumed again, one more turn;
- a setup with ``sessionResumption.handle`` resumes only with a handle it issued, and
  does not count as a use of the token; a new session beyond the token's ``uses`` and an
  unknown token are refused with close code 1008, like the real service;
- with ``chatter_every_chunks`` (``make demo``), after that script it answers every so
  many chunks of audio with a short scripted turn, so a person can keep talking to it.

``make demo`` runs it with the page and the function (``tools/demo.py``); alone,
``python -m tests.e2e.live_fake --port 9100``, with
``liveBaseUrl: 'http://127.0.0.1:9100'`` in ``examples/web/config.js``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.e2e.live_audio import MODEL_MIME_TYPE, is_silent, model_audio_chunks
from tests.e2e.live_connection import CONSTRAINED, LiveConnection

__all__ = ["CONSTRAINED", "REPLY_PREFIX", "FakeLive", "LiveConnection"]

REPLY_PREFIX = "Hello from the fake Live server. You said: "
SPOKEN_REPLY = "I heard you. This connection is about to be replaced."
RESUMED_REPLY = "Welcome back: the conversation resumed. Let me tell you a long"
AGAIN_REPLY = "Still here, after a dropped connection."
DROPPED = "the stand-in drops this connection"
CHATTER = "I am the Live stand-in: I heard you, but I only follow a script."
CHUNKS_BEFORE_REPLY = 5  # 0.5 s of microphone audio on a new connection
CHUNKS_BEFORE_RESUMED_REPLY = 15  # 1.5 s on a resumed one: the first reply has played by then


class FakeLive:
    """``token_is_valid`` and ``token_uses`` say what the minting side knows of a token."""

    def __init__(
        self,
        *,
        token_is_valid: Callable[[str], bool],
        token_uses: Callable[[str], int] = lambda token: 0,
        port: int = 0,
        chatter_every_chunks: int = 0,
    ) -> None:
        self.connections: list[LiveConnection] = []
        # After its script, answer every this many chunks of audio (make demo); 0: fall silent.
        self._chatter = chatter_every_chunks
        self.handles: list[str] = []
        self._token_is_valid = token_is_valid
        self._token_uses = token_uses
        self._sessions: Counter[str] = Counter()
        self._issuers: dict[str, LiveConnection] = {}
        self._lock = threading.Lock()
        self._server: Server = serve(self._handle, "127.0.0.1", port, max_size=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What to give the SDK as ``httpOptions.baseUrl`` (it swaps http for ws itself)."""
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def voice_record(self, first: int = 0) -> dict[str, Any]:
        """What the audio side of connections ``first`` onwards amounts to (voice-session.json)."""
        connections = self.connections[first:]
        return {
            "audio_chunks": sum(c.audio_chunks for c in connections),
            "audio_mime_types": sorted({m for c in connections for m in c.mime_types}),
            "non_silent_chunks": sum(c.non_silent_chunks for c in connections),
            "audio_ms_sent_to_page": sum(c.audio_ms_sent for c in connections),
            "reconnected_with_handle": any(c.resumed_with for c in connections),
            "handles_issued": [h for c in connections for h in c.handles_issued],
            "connections": [c.summary() for c in connections],
        }

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
        try:
            refusal = self._refusal(connection)
            if refusal is None:
                self._converse(websocket, connection)
            else:
                connection.close_reason = refusal
                websocket.close(1008, refusal)
        except ConnectionClosed:
            pass

    def _refusal(self, connection: LiveConnection) -> str | None:
        if connection.method_path != CONSTRAINED:
            return f"unknown method {connection.method_path}"
        if connection.token is None or not self._token_is_valid(connection.token):
            return "invalid access token"
        return None

    def _converse(self, websocket: ServerConnection, connection: LiveConnection) -> None:
        for raw in websocket:
            frame = json.loads(raw)
            connection.record(frame)
            if len(connection.frames) == 1:
                refusal = self._start(connection, frame)
                if refusal:
                    connection.close_reason = refusal
                    websocket.close(1008 if "setup" in frame else 1007, refusal)
                    return
                self._send(websocket, connection, {"setupComplete": {}})
                continue
            audio = frame.get("realtimeInput", {}).get("audio")
            if audio:
                connection.hear(audio["mimeType"], silent=is_silent(audio["data"]))
                self._maybe_speak(websocket, connection)
            content = frame.get("clientContent")
            if content and content.get("turnComplete"):
                prompt = _last_user_text(content)
                self._turn(websocket, connection, heard=None, said=[REPLY_PREFIX, prompt], chunks=2)

    def _start(self, connection: LiveConnection, frame: dict[str, Any]) -> str | None:
        if "setup" not in frame:
            return "the first message must be setup"
        setup = frame["setup"]
        connection.resumable = "sessionResumption" in setup
        handle = setup.get("sessionResumption", {}).get("handle")
        with self._lock:
            if handle is not None:  # resuming: not a new session, not a use of the token
                if handle not in self.handles:
                    return "unknown session resumption handle"
                connection.resumed_with = handle
                connection.generation = self._issuers[handle].generation + 1
                return None
            assert connection.token is not None
            self._sessions[connection.token] += 1
            uses = self._token_uses(connection.token)
            if uses and self._sessions[connection.token] > uses:
                return "the token has no uses left"
        return None

    def _maybe_speak(self, websocket: ServerConnection, connection: LiveConnection) -> None:
        """The microphone side's script, by how often the conversation has been resumed."""
        heard = f"({connection.audio_chunks / 10:.1f} s of sound)"
        step = (connection.generation, connection.step, connection.audio_chunks)
        if step[:2] == (0, 0) and step[2] >= CHUNKS_BEFORE_REPLY:
            self._turn(websocket, connection, heard=heard, said=[SPOKEN_REPLY], chunks=4)
            self._send(websocket, connection, {"goAway": {"timeLeft": "10s"}})
        elif step[:2] == (1, 0) and step[2] >= CHUNKS_BEFORE_RESUMED_REPLY:
            self._turn(websocket, connection, heard=heard, said=[RESUMED_REPLY], chunks=8, cut=True)
        elif step[:2] == (1, 1) and step[2] >= CHUNKS_BEFORE_RESUMED_REPLY + CHUNKS_BEFORE_REPLY:
            connection.close_reason = DROPPED
            websocket.close(1011, DROPPED)  # no goAway: the page must notice the close itself
        elif step[:2] == (2, 0) and step[2] >= CHUNKS_BEFORE_REPLY:
            self._turn(websocket, connection, heard=heard, said=[AGAIN_REPLY], chunks=2)
        elif self._chatter and step[:2] >= (2, 1) and step[2] >= step[1] * self._chatter:
            self._turn(websocket, connection, heard=heard, said=[CHATTER], chunks=4)
        else:
            return
        connection.step += 1

    def _turn(
        self,
        websocket: ServerConnection,
        connection: LiveConnection,
        *,
        heard: str | None,
        said: list[str],
        chunks: int,
        cut: bool = False,
    ) -> None:
        """One model turn: audio and its transcription, then the end of the turn."""
        if heard:
            self._send(
                websocket, connection, {"serverContent": {"inputTranscription": {"text": heard}}}
            )
        for data in model_audio_chunks(chunks):
            part = {"inlineData": {"mimeType": MODEL_MIME_TYPE, "data": data}}
            self._send(websocket, connection, {"serverContent": {"modelTurn": {"parts": [part]}}})
        for text in said:
            self._send(
                websocket, connection, {"serverContent": {"outputTranscription": {"text": text}}}
            )
        if cut:
            self._send(websocket, connection, {"serverContent": {"interrupted": True}})
        else:
            self._send(websocket, connection, {"serverContent": {"generationComplete": True}})
        self._send(websocket, connection, {"serverContent": {"turnComplete": True}})
        if connection.resumable:
            with self._lock:
                handle = f"handle-{len(self.handles) + 1}"
                self.handles.append(handle)
                self._issuers[handle] = connection
            connection.handles_issued.append(handle)
            update = {"newHandle": handle, "resumable": True}
            self._send(websocket, connection, {"sessionResumptionUpdate": update})

    def _send(
        self, websocket: ServerConnection, connection: LiveConnection, message: dict[str, Any]
    ) -> None:
        connection.sent(message)
        websocket.send(json.dumps(message).encode())  # bytes: a binary frame, as the service sends


def _last_user_text(content: dict[str, Any]) -> str:
    texts = [
        part["text"]
        for turn in content.get("turns", [])
        for part in turn.get("parts", [])
        if "text" in part
    ]
    return texts[-1] if texts else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    port = parser.parse_args().port
    with FakeLive(token_is_valid=lambda token: token.startswith("auth_tokens/"), port=port) as fake:
        print(f"Live stand-in on {fake.base_url} (any auth_tokens/... is accepted)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
