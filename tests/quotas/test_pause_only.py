"""A profile without quotas that reads the kill switch (``kill_switch: true``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask, request

from tests.conftest import ALLOWED_ORIGIN, AppFactory, FakeClock, LogCapture, log_lines
from tests.fakes.gemini import FakeGemini
from tests.quotas.conftest import Backend, serve
from tests.quotas.fake_firestore import FakeFirestore
from tests.quotas.test_kill_switch import POLICIES
from tokenvend.app import build_endpoint
from tokenvend.errors import ConfigurationError
from tokenvend.settings import Settings

HEADERS = {"Origin": ALLOWED_ORIGIN}


def test_the_default_profile_serves_while_its_switch_cannot_be_read_and_warns_once(
    make_client: AppFactory,
    fake_firestore: FakeFirestore,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_firestore.answer_with(500)
    backend = Backend("fake", fake_firestore.host, "test-unreadable")
    client = make_client("voice-assistant", **backend.environment())
    assert [client.post("/", headers=HEADERS).status_code for _ in range(3)] == [200] * 3
    assert gemini.request_count == 3
    warnings = [
        line
        for line in log_lines(capsys.readouterr().out)
        if "kill switch unreadable" in line.get("message", "")
    ]
    assert len(warnings) == 1 and warnings[0]["severity"] == "WARNING"


def test_an_unreadable_switch_is_logged_again_an_hour_later_not_on_every_read(
    fake_firestore: FakeFirestore, gemini: FakeGemini, clock: FakeClock
) -> None:
    fake_firestore.answer_with(500)
    backend = Backend("fake", fake_firestore.host, "test-hourly")
    settings = backend.settings(
        profile="voice-assistant",
        policy_dir=POLICIES,
        gemini_endpoint=gemini.url,
        gemini_api_key="k",
    )
    capture = LogCapture()
    endpoint = build_endpoint(settings, clock, log=capture.log)
    app = Flask("pause-only")
    app.add_url_rule("/", "mint", lambda: endpoint.handle(request), methods=["POST"])
    client = app.test_client()

    def warnings() -> int:
        return sum("kill switch unreadable" in e["message"] for e in capture.entries())

    for _ in range(6):
        clock.advance(600)  # every read fails; each is tried after the store's pause
        assert client.post("/", headers=HEADERS).status_code == 200
    assert warnings() == 1
    clock.advance(600)
    assert client.post("/", headers=HEADERS).status_code == 200
    assert warnings() == 2


def test_a_paused_default_profile_stays_paused_while_the_store_fails(
    fake_firestore: FakeFirestore, gemini: FakeGemini, clock: FakeClock
) -> None:
    backend = Backend("fake", fake_firestore.host, "test-paused")
    settings = backend.settings(
        profile="voice-assistant",
        policy_dir=POLICIES,
        gemini_endpoint=gemini.url,
        gemini_api_key="k",
    )
    backend.store().set_paused("voice-assistant", True)
    client = serve(settings, clock)
    assert client.post("/", headers=HEADERS).status_code == 503
    fake_firestore.answer_with(500)
    for _ in range(30):  # five minutes of failed reads
        clock.advance(10)
        assert client.post("/", headers=HEADERS).status_code == 503
    assert gemini.request_count == 0


def test_without_a_project_the_default_profile_serves_locally_and_refuses_to_start_on_cloud_run(
    gemini: FakeGemini, clock: FakeClock
) -> None:
    capture = LogCapture()
    local = Settings(
        profile="voice-assistant",
        policy_dir=POLICIES,
        gemini_api_key="k",
        gemini_endpoint=gemini.url,
    )
    endpoint = build_endpoint(local, clock, log=capture.log)
    assert endpoint.vendor.policy.kill_switch and capture.entries() == []
    with pytest.raises(ConfigurationError) as refused:
        build_endpoint(replace(local, cloud_run_service="tokenvend-voice"), clock)
    assert "kill_switch: true needs GOOGLE_CLOUD_PROJECT" in str(refused.value)
