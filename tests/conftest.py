"""Fixtures: loopback fakes, a fake clock, and the function built by functions-framework."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fakes.gemini import FakeGemini
from tests.fakes.secret_manager import FakeSecretManager
from tokenvend.logs import StructuredLog
from tokenvend.settings import declared

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
API_KEY = "AIzaSyFAKE-test-key-0123456789abcdefghij"
SECRET = "projects/demo/secrets/gemini-api-key"
SECRET_VERSION = f"{SECRET}/versions/latest"
ALLOWED_ORIGIN = "http://localhost:5173"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.current = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
        self.monotonic = 1000.0

    def now(self) -> datetime:
        return self.current

    def monotonic_seconds(self) -> float:
        return self.monotonic

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self.monotonic += seconds


class LogCapture:
    """A StructuredLog that keeps its lines, for tests that read the log."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.log = StructuredLog(self.stream)

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture(autouse=True)
def no_setting_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every declared setting is unset in each test (and in the processes it starts), so a
    developer's shell (GEMINI_API_KEY, TOKENVEND_*) cannot change what a test sees."""
    for setting in declared():
        monkeypatch.delenv(setting.env, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def log_capture() -> LogCapture:
    return LogCapture()


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


@pytest.fixture
def secret_manager() -> Iterator[FakeSecretManager]:
    server = FakeSecretManager()
    server.add_version(SECRET, API_KEY.encode())
    with server:
        yield server


AppFactory = Callable[..., FlaskClient]


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch, gemini: FakeGemini) -> AppFactory:
    """Builds the function from main.py the way functions-framework does, per environment."""

    def build(profile: str = "voice-assistant", **environment: str) -> FlaskClient:
        for setting in declared():  # what an earlier build of this test set
            monkeypatch.delenv(setting.env, raising=False)
        defaults = {
            "TOKENVEND_PROFILE": profile,
            "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
            "GEMINI_API_KEY": API_KEY,
        }
        for name, value in {**defaults, **environment}.items():
            if value:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)
        app: Flask = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target="mint_token", source=str(MAIN)
        )
        return app.test_client()

    return build


def log_lines(output: str) -> list[dict[str, Any]]:
    """The JSON log lines of captured stdout."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
