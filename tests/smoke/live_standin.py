"""A Live API stand-in for the lock probes: it can honour, ignore or refuse each route.

It speaks ``BidiGenerateContentConstrained`` as far as the probes need: a token's locked
setup (``token_setup``) is applied over the session's own, like the real service; its
"model" answers every question with the one word its system instruction names
("... exactly one word: X."), as output transcription, then ``turnComplete`` and, for a
resumable session, a ``sessionResumptionUpdate``. ``uses`` is counted per token, and a
resumption is not a use. What happens to the messages that try to change a session is
set per route, by the route names of ``tokenvend/gemini/lock_probes.json``:

- ``honour``: the message takes effect (the new instruction, the added function, which
  the model then calls when asked, the model turn's word, the second setup);
- ``ignore``: nothing happens, as with a lock that holds silently;
- ``refuse``: the session is closed with 1007, as with a lock that holds loudly.

Every route defaults to ``ignore``. ``answer`` makes the model say that instead of its
word, for the inconclusive case. It extends the e2e stand-in (``tests/e2e/live_fake.py``)
with a conversation of its own, leaving that one as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection

from tests.e2e.live_fake import CONSTRAINED, FakeLive, LiveConnection

Behaviour = Literal["honour", "ignore", "refuse"]
WORD = re.compile(r"exactly one word: (\w+)")
CALL = re.compile(r"Call the function (\w+)")


@dataclass
class Session:
    """What one connection's model currently works with."""

    instruction: str = ""
    functions: list[str] = field(default_factory=list)
    resumable: bool = False


class LockStandin(FakeLive):
    """``token_setup`` gives a minted token's locked setup (None: unknown token).

    The e2e stand-in's server, lifecycle and connection records, with a conversation of
    its own: the probes' one-word model instead of the voice page's script.
    """

    def __init__(
        self,
        *,
        token_setup: Callable[[str], Mapping[str, Any] | None],
        token_uses: Callable[[str], int] = lambda token: 1,
        behaviour: Mapping[str, Behaviour] | None = None,
        answer: str | None = None,
    ) -> None:
        self.behaviour = dict(behaviour or {})
        self._answer = answer
        self._token_setup = token_setup
        self._handles_to: dict[str, str] = {}  # handle -> instruction of the session it resumes
        super().__init__(
            token_is_valid=lambda token: token_setup(token) is not None, token_uses=token_uses
        )

    @property
    def url(self) -> str:
        """The constrained method's WebSocket URL (``--live-url`` of tools/smoke.py)."""
        return self.base_url.replace("http://", "ws://", 1) + CONSTRAINED

    def __enter__(self) -> LockStandin:
        super().__enter__()
        return self

    def _handle(self, websocket: ServerConnection) -> None:
        connection = LiveConnection(path=websocket.request.path if websocket.request else "")
        with self._lock:
            self.connections.append(connection)
        token = connection.token
        locked = self._token_setup(token) if token else None
        if connection.method_path != CONSTRAINED or token is None or locked is None:
            websocket.close(1008, "invalid access token")
            return
        session = Session()
        try:
            for raw in websocket:
                frame = json.loads(raw)
                connection.record(frame)
                refusal = self._take(frame, token, locked, session, websocket, connection)
                if refusal:
                    connection.close_reason = refusal
                    websocket.close(1007 if "refused" in refusal else 1008, refusal)
                    return
        except ConnectionClosed:
            pass

    def _take(
        self,
        frame: dict[str, Any],
        token: str,
        locked: Mapping[str, Any],
        session: Session,
        websocket: ServerConnection,
        connection: LiveConnection,
    ) -> str | None:
        """Acts on one client message; a close reason when the session must end."""
        if len(connection.frames) == 1:
            if "setup" not in frame:
                return "the first message must be setup"
            return self._set_up(frame["setup"], token, locked, session, websocket)
        if "setup" in frame:
            return self._route("setup.again", websocket, session, instruction_of(frame["setup"]))
        if "contextUpdate" in frame:
            update = frame["contextUpdate"]
            if "systemInstruction" in update:
                new = text_of(update["systemInstruction"])
                refusal = self._route("contextUpdate.systemInstruction", None, session, new)
                if refusal:
                    return refusal
            if "tools" in update:
                return self._tools(update["tools"].get("tools", []), session)
            return None
        content = frame.get("clientContent", {})
        for turn in content.get("turns", []):
            if turn.get("role") == "model":
                refusal = self._route("clientContent.modelTurn", None, session, text_of(turn))
                if refusal:
                    return refusal
        if content.get("turnComplete"):
            self._reply(websocket, session, text_of(content["turns"][-1]))
        return None

    def _set_up(
        self,
        setup: Mapping[str, Any],
        token: str,
        locked: Mapping[str, Any],
        session: Session,
        websocket: ServerConnection,
    ) -> str | None:
        handle = setup.get("sessionResumption", {}).get("handle")
        with self._lock:
            if handle is not None:  # resuming: not a new session, not a use of the token
                if handle not in self._handles_to:
                    return "unknown session resumption handle"
                session.instruction = self._handles_to[handle]
            else:
                self._sessions[token] += 1
                uses = self._token_uses(token)
                if uses and self._sessions[token] > uses:
                    return "the token has no uses left"
        session.resumable = "sessionResumption" in locked or "sessionResumption" in setup
        if handle is None:
            session.instruction = instruction_of(locked)
            own = instruction_of(setup)
            if own and own != session.instruction:
                refusal = self._route("setup.systemInstruction", None, session, own)
                if refusal:
                    return refusal
        websocket.send(json.dumps({"setupComplete": {}}).encode())
        return None

    def _route(
        self, route: str, websocket: ServerConnection | None, session: Session, instruction: str
    ) -> str | None:
        behaviour = self.behaviour.get(route, "ignore")
        if behaviour == "refuse":
            return f"{route} refused: the session is locked"
        if behaviour == "honour":
            session.instruction = instruction
            if websocket is not None:  # a second setup is answered like the first
                websocket.send(json.dumps({"setupComplete": {}}).encode())
        return None

    def _tools(self, tools: list[Mapping[str, Any]], session: Session) -> str | None:
        behaviour = self.behaviour.get("contextUpdate.tools", "ignore")
        if behaviour == "refuse":
            return "contextUpdate.tools refused: the session is locked"
        if behaviour == "honour":
            session.functions = [
                declaration["name"]
                for tool in tools
                for declaration in tool.get("functionDeclarations", [])
            ]
        return None

    def _reply(self, websocket: ServerConnection, session: Session, asked: str) -> None:
        called = CALL.search(asked)
        if called and called.group(1) in session.functions:
            call: dict[str, Any] = {"id": "call-1", "name": called.group(1), "args": {}}
            websocket.send(json.dumps({"toolCall": {"functionCalls": [call]}}).encode())
            return
        word = WORD.search(session.instruction)
        said = self._answer if self._answer is not None else (word.group(1) if word else "")
        for message in (
            {"serverContent": {"outputTranscription": {"text": said}}},
            {"serverContent": {"turnComplete": True}},
        ):
            websocket.send(json.dumps(message).encode())
        if session.resumable:
            with self._lock:
                handle = f"handle-{len(self._handles_to) + 1}"
                self._handles_to[handle] = session.instruction
            update = {"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}}
            websocket.send(json.dumps(update).encode())


def text_of(content: Any) -> str:
    """The text of a Content (or of a plain string, as a setup may carry one)."""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content.get("parts", []))


def instruction_of(setup: Mapping[str, Any]) -> str:
    """The system instruction a setup carries, as text; empty when it has none."""
    return text_of(setup["systemInstruction"]) if "systemInstruction" in setup else ""
