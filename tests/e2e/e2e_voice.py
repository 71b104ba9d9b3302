"""The voice page in headless Chromium with a fake microphone, and the Node.js client,
against the real function and the Live stand-in (the run itself is in ``journey.py``).

The stand-in answers half a second of microphone audio with a spoken turn, then sends a
session resumption handle and a ``goAway``; the page must reconnect on its own, with the
handle and the same token, and carry on. Later the stand-in drops the connection without
a word, and the page must resume again. Run with ``make e2e``.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.journey import OUTPUT, Journey
from tests.e2e.live_connection import LiveConnection
from tests.e2e.live_fake import AGAIN_REPLY, DROPPED, RESUMED_REPLY, SPOKEN_REPLY

pytestmark = pytest.mark.e2e

PCM_16K_CHUNK_BYTES = 1600 * 2  # 100 ms of 16 kHz 16-bit mono


def voice_connections(journey: Journey) -> list[LiveConnection]:
    """Connections made with the tokens minted during the voice visit, in order."""
    tokens = journey.gemini.minted[1 : 1 + journey.voice_record["tokens_minted"]]
    return [c for c in journey.live.connections if c.token in tokens]


def test_the_page_listens_and_resumes_without_errors(journey: Journey) -> None:
    page = journey.voice
    assert page["pageErrors"] == [], page["events"]
    assert page["state"] == "stopped", page["status"]
    assert page["resumed"] == 2
    assert page["connections"] == 3


def test_microphone_pcm_reaches_the_live_stand_in_as_16khz_audio(journey: Journey) -> None:
    record = journey.voice_record
    assert record["audio_mime_types"] == ["audio/pcm;rate=16000"]
    assert record["audio_chunks"] >= 5 + 20 + 5  # what the stand-in's script waits for
    assert record["non_silent_chunks"] >= record["audio_chunks"] // 2, record
    sizes = {
        frame["realtimeInput"]["audio"]["bytes"]
        for connection in voice_connections(journey)
        for frame in connection.frames
        if "realtimeInput" in frame
    }
    assert sizes == {len(base64_of(PCM_16K_CHUNK_BYTES))}


def base64_of(size: int) -> str:
    return "A" * (4 * ((size + 2) // 3))


def test_the_model_audio_is_played_and_cut_off_when_interrupted(journey: Journey) -> None:
    record = journey.voice_record
    # Turns of 1 s, 2 s and 0.5 s; the 2 s one is interrupted as soon as it has arrived.
    assert record["audio_ms_sent_to_page"] == 3500
    assert 1500 <= record["played_audio_ms"] < 3500
    assert any("interrupted: playback stopped" in event for event in journey.voice["events"])


def test_after_go_away_the_page_resumes_with_the_handle_and_the_same_token(
    journey: Journey,
) -> None:
    record = journey.voice_record
    assert record["reconnected_with_handle"] is True
    assert record["tokens_minted"] == 1
    first, resumed, _ = voice_connections(journey)
    assert first.resumed_with is None and first.setup is not None
    assert first.setup["sessionResumption"] == {}
    assert first.sent_kinds[-1] == "goAway"
    assert resumed.resumed_with == first.handles_issued[-1]
    assert resumed.setup is not None
    assert resumed.setup["sessionResumption"] == {"handle": first.handles_issued[-1]}
    assert resumed.token == first.token  # resuming is not a use: uses: 1 still holds
    assert resumed.audio_chunks > 0  # the microphone carried on into the new connection


def test_after_an_unexpected_close_the_page_resumes_again(journey: Journey) -> None:
    first, resumed, again = voice_connections(journey)
    assert resumed.close_reason == DROPPED
    assert again.resumed_with in resumed.handles_issued
    assert again.token == first.token
    assert any(f"closed (1011: {DROPPED})" in event for event in journey.voice["events"])


def test_the_page_shows_both_transcriptions_as_they_arrive(journey: Journey) -> None:
    transcript = journey.voice["transcript"]
    said = [entry["text"] for entry in transcript if entry["who"] == "model"]
    heard = [entry["text"] for entry in transcript if entry["who"] == "you"]
    assert said == [SPOKEN_REPLY, RESUMED_REPLY, AGAIN_REPLY]
    assert len(heard) == 3 and all(text.endswith("s of sound)") for text in heard)


def test_the_voice_session_record_and_screenshots_are_written(journey: Journey) -> None:
    record = json.loads((OUTPUT / "voice-session.json").read_text())
    for key in (
        "audio_chunks",
        "audio_mime_types",
        "non_silent_chunks",
        "played_audio_ms",
        "reconnected_with_handle",
        "tokens_minted",
    ):
        assert key in record
    states = ("listening", "speaking", "resumed", "stopped", "developer")
    for name in (f"voice-{state}.png" for state in states):
        screenshot = OUTPUT / name
        assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_node_client_gets_a_token_and_hears_the_reply(journey: Journey) -> None:
    result = journey.node_client
    assert result.returncode == 0, result.stdout + result.stderr
    node_tokens = journey.gemini.minted[journey.minted_before_node : journey.minted_after_node]
    assert len(node_tokens) == 1
    [connection] = [c for c in journey.live.connections if c.token == node_tokens[0]]
    assert connection.setup is not None
    assert connection.setup["model"] == "models/gemini-3.8-live"
    assert any("clientContent" in frame for frame in connection.frames)
