"""The audio of the end-to-end test: what the fake microphone plays, what the Live
stand-in answers with, and how to tell sound from silence.

All of it is 16-bit little-endian mono PCM, the Live API's format: 16 kHz from the
browser (``audio/pcm;rate=16000``), 24 kHz back (``audio/pcm;rate=24000``).
"""

from __future__ import annotations

import base64
import math
import struct
import wave
from pathlib import Path

MODEL_RATE = 24_000
MODEL_MIME_TYPE = f"audio/pcm;rate={MODEL_RATE}"
# A chunk whose loudest sample is below this (about -40 dBFS) counts as silence.
SILENCE_PEAK = 330


def write_speech_like_wav(path: Path, *, seconds: float = 3.0, rate: int = 48_000) -> Path:
    """A WAV for Chromium's ``--use-file-for-fake-audio-capture``.

    Syllable-like bursts of a tone whose pitch moves, rather than one steady tone: the
    browser's noise suppression learns a steady tone as background noise and removes it.
    """
    frames = bytearray()
    phase = 0.0
    for index in range(int(seconds * rate)):
        time = index / rate
        pitch = 220 + 180 * math.sin(2 * math.pi * 0.7 * time)  # a slow glide, 40..400 Hz
        phase += 2 * math.pi * pitch / rate
        envelope = max(0.0, math.sin(2 * math.pi * 3 * time))  # three bursts a second
        frames += struct.pack("<h", int(0.5 * envelope * math.sin(phase) * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


def model_audio_chunks(count: int, *, chunk_ms: int = 250, pitch: float = 330.0) -> list[str]:
    """``count`` base64 chunks of a quiet tone at 24 kHz, continuous across chunks."""
    per_chunk = MODEL_RATE * chunk_ms // 1000
    chunks = []
    for chunk in range(count):
        start = chunk * per_chunk
        samples = (
            int(0.3 * 32767 * math.sin(2 * math.pi * pitch * (start + i) / MODEL_RATE))
            for i in range(per_chunk)
        )
        chunks.append(base64.b64encode(struct.pack(f"<{per_chunk}h", *samples)).decode())
    return chunks


def chunk_ms(data: str, rate: int = MODEL_RATE) -> float:
    return len(base64.b64decode(data)) / 2 / rate * 1000


def is_silent(data: str) -> bool:
    """Whether a base64 chunk of 16-bit PCM is (close to) silence, or not PCM at all."""
    raw = base64.b64decode(data)
    if len(raw) < 2 or len(raw) % 2:
        return True
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    loudest: int = max(abs(sample) for sample in samples)
    return loudest < SILENCE_PEAK
