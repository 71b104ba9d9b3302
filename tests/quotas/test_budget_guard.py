"""budget_guard's decisions, on the notification as Eventarc delivers it, with a memory store.

The same guard runs as a real functions-framework process against the Firestore
emulator in test_budget_guard_process.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ALLOWED_ORIGIN, MAIN, FakeClock, LogCapture
from tests.fakes.gemini import FakeGemini
from tests.quotas.budget_events import BUDGET_ID, EVENT_TYPE, binary, message, notification
from tests.quotas.conftest import Backend, serve, write_quota_policy
from tests.quotas.fake_firestore import FakeFirestore
from tests.quotas.memory_store import MemoryStore
from tokenvend import reasons
from tokenvend.app import Instance
from tokenvend.budget_guard.build import GuardFunction, build_guard
from tokenvend.budget_guard.guard import BudgetGuard
from tokenvend.errors import ConfigurationError, QuotaStoreUnavailable
from tokenvend.settings import Settings

PROFILES = ("kiosk", "voice-assistant", "tutor")


def guard(
    store: MemoryStore,
    log: LogCapture,
    *,
    budget_id: str | None = BUDGET_ID,
    pause_at_percent: float = 100.0,
) -> BudgetGuard:
    return BudgetGuard(
        store, PROFILES, budget_id=budget_id, pause_at_percent=pause_at_percent, log=log.log
    )


def event_data(pubsub_message: dict[str, Any]) -> Any:
    """The CloudEvent's data as functions-framework hands it over (the parsed body)."""
    return json.loads(binary(pubsub_message)[1])


def deliver(subject: BudgetGuard, data: Any, event_type: str = EVENT_TYPE) -> str:
    return subject.handle(event_type, data, event_id="1")


def over(percent: float = 120.0, **values: Any) -> Any:
    return event_data(message(notification(cost=percent, budget=100.0, **values)))


def test_a_notification_over_the_threshold_pauses_every_profile_and_logs_why() -> None:
    store, log = MemoryStore(), LogCapture()
    assert deliver(guard(store, log), over(120.0)) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)
    (line,) = [e for e in log.entries() if e["reason"] == reasons.BUDGET_PAUSED]
    assert line["severity"] == "ALERT"
    assert line["event"] == "budget_guard"
    assert line["profiles"] == list(PROFILES)
    assert (line["cost_amount"], line["budget_amount"], line["spent_percent"]) == (120, 100, 120)
    assert line["budget_id"] == BUDGET_ID
    assert "120.0% of the budget (threshold 100%)" in line["message"]


def test_exactly_the_threshold_pauses_and_just_under_it_does_not() -> None:
    store, log = MemoryStore(), LogCapture()
    assert deliver(guard(store, log), over(99.99)) == reasons.BUDGET_UNDER_THRESHOLD
    assert store.switches == {}
    assert deliver(guard(store, log), over(100.0)) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)


def test_the_threshold_is_configurable() -> None:
    store, log = MemoryStore(), LogCapture()
    subject = guard(store, log, pause_at_percent=80.0)
    assert deliver(subject, over(79.0)) == reasons.BUDGET_UNDER_THRESHOLD
    assert deliver(subject, over(80.0)) == reasons.BUDGET_PAUSED


def test_a_notification_under_the_threshold_changes_nothing() -> None:
    store, log = MemoryStore(), LogCapture()
    assert deliver(guard(store, log), over(50.0)) == reasons.BUDGET_UNDER_THRESHOLD
    assert (store.switches, store.counts_by_name, store.commits) == ({}, {}, 0)
    (line,) = log.entries()
    assert (line["severity"], line["spent_percent"]) == ("INFO", 50.0)


def test_another_budgets_notification_changes_nothing_when_a_budget_id_is_set() -> None:
    store, log = MemoryStore(), LogCapture()
    foreign = event_data(message(notification(cost=500.0), budget_id="another-budget"))
    assert deliver(guard(store, log), foreign) == reasons.BUDGET_FOREIGN
    assert (store.switches, store.commits) == ({}, 0)
    (line,) = log.entries()
    assert line["severity"] == "WARNING"
    assert "another-budget" in line["message"]


def test_without_a_budget_id_any_well_formed_notification_counts() -> None:
    store, log = MemoryStore(), LogCapture()
    foreign = event_data(message(notification(cost=500.0), budget_id="another-budget"))
    assert deliver(guard(store, log, budget_id=None), foreign) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)


def test_a_notification_never_resumes_a_paused_profile() -> None:
    store, log = MemoryStore(), LogCapture()
    store.set_paused("kiosk", True)
    subject = guard(store, log)
    assert deliver(subject, over(10.0)) == reasons.BUDGET_UNDER_THRESHOLD
    assert deliver(subject, over(0.0, interval_start="2027-01-01T08:00:00Z")) == (
        reasons.BUDGET_UNDER_THRESHOLD
    )
    assert store.switches == {"kiosk": True}


def test_a_redelivered_notification_acts_once_and_a_resume_in_the_same_period_sticks() -> None:
    store, log = MemoryStore(), LogCapture()
    subject = guard(store, log)
    first = over(120.0)
    assert deliver(subject, first) == reasons.BUDGET_PAUSED
    assert deliver(subject, first) == reasons.BUDGET_ALREADY_ACTED
    store.set_paused("kiosk", False)  # the operator decides to go on this month
    assert deliver(subject, over(130.0)) == reasons.BUDGET_ALREADY_ACTED
    assert store.switches["kiosk"] is False
    # The next period pauses again once it reaches the threshold.
    assert deliver(subject, over(40.0, interval_start="2027-01-01T08:00:00Z")) == (
        reasons.BUDGET_UNDER_THRESHOLD
    )
    assert deliver(subject, over(100.0, interval_start="2027-01-01T08:00:00Z")) == (
        reasons.BUDGET_PAUSED
    )
    assert store.switches == dict.fromkeys(PROFILES, True)


def test_a_budget_raised_and_crossed_again_in_the_same_period_pauses_again() -> None:
    store, log = MemoryStore(), LogCapture()
    subject = guard(store, log)
    assert deliver(subject, over(120.0)) == reasons.BUDGET_PAUSED
    for profile in PROFILES:  # the operator doubles the budget and resumes
        store.set_paused(profile, False)
    doubled = event_data(message(notification(cost=150.0, budget=200.0)))
    assert deliver(subject, doubled) == reasons.BUDGET_UNDER_THRESHOLD
    assert deliver(subject, event_data(message(notification(cost=210.0, budget=200.0)))) == (
        reasons.BUDGET_PAUSED
    )
    assert store.switches == dict.fromkeys(PROFILES, True)


@pytest.mark.parametrize(
    "odd",
    [
        {"currencyCode": None},
        {"currencyCode": "dollars"},
        {"alertThresholdExceeded": "lots"},
        {"budgetDisplayName": 7},
    ],
)
def test_a_field_the_decision_does_not_need_cannot_stop_the_pause(odd: dict[str, Any]) -> None:
    store, log = MemoryStore(), LogCapture()
    assert deliver(guard(store, log), over(120.0, **odd)) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)


def test_an_already_paused_profile_stays_paused() -> None:
    store, log = MemoryStore(), LogCapture()
    store.set_paused("tutor", True)
    assert deliver(guard(store, log), over(150.0)) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def with_data(data: Any) -> Any:
    pubsub_message = message(notification(cost=500.0))
    pubsub_message["data"] = data
    return event_data(pubsub_message)


MALFORMED = {
    "not an object": "not json",
    "bytes": b"\x00\x01",
    "no message": {"subscription": "s"},
    "message not an object": {"message": [1]},
    "no data": with_data(None),
    "data not base64": with_data("%%%"),
    "data not json": with_data(b64(b"costAmount: 500")),
    "data a list": with_data(b64(b"[1, 2]")),
    "data too long": with_data("A" * 9000),
    "deeply nested": with_data(b64(b"[" * 5000)),
    "NaN cost": with_data(b64(b'{"costAmount": NaN, "budgetAmount": 1}')),
    "cost a string": event_data(message(notification(cost=1.0, costAmount="500"))),
    "cost a bool": event_data(message(notification(cost=1.0, costAmount=True))),
    "cost negative": event_data(message(notification(cost=-5.0))),
    "cost huge": with_data(b64(b'{"costAmount": 1e999, "budgetAmount": 1}')),
    "cost a huge integer": with_data(
        b64(b'{"budgetAmount": 1, "costAmount": ' + b"9" * 400 + b"}")
    ),
    "budget zero": event_data(message(notification(cost=5.0, budget=0.0))),
    "no interval": event_data(message(notification(cost=500.0, costIntervalStart=None))),
    "interval not a time": event_data(message(notification(cost=500.0, interval_start="soon"))),
    "interval without zone": event_data(
        message(notification(cost=500.0, interval_start="2026-12-01T08:00:00"))
    ),
    "no budget id": event_data(message(notification(cost=500.0), budget_id=None)),
    "budget id with a slash": event_data(message(notification(cost=500.0), budget_id="a/../b")),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_notification_changes_nothing_and_is_logged(data: Any) -> None:
    store, log = MemoryStore(), LogCapture()
    assert deliver(guard(store, log, budget_id=None), data) == reasons.BUDGET_MALFORMED
    assert (store.switches, store.commits, store.reads) == ({}, 0, 0)
    (line,) = log.entries()
    assert line["severity"] == "ERROR"  # a budget that cannot be read guards nothing
    assert line["message"].startswith("budget_guard: ignored: ")
    assert len(log.text) < 1000


def test_an_event_of_another_type_changes_nothing() -> None:
    store, log = MemoryStore(), LogCapture()
    subject = guard(store, log)
    assert deliver(subject, over(500.0), "google.cloud.storage.object.v1.finalized") == (
        reasons.BUDGET_MALFORMED
    )
    assert store.switches == {}


def test_a_store_failure_is_logged_and_raised_so_the_notification_comes_again() -> None:
    store, log = MemoryStore(), LogCapture()
    subject = guard(store, log)
    store.failing = True
    with pytest.raises(QuotaStoreUnavailable):
        deliver(subject, over(120.0))
    assert log.entries()[-1]["reason"] == reasons.BUDGET_STORE_UNAVAILABLE
    store.failing = False
    assert deliver(subject, over(120.0)) == reasons.BUDGET_PAUSED
    assert store.switches == dict.fromkeys(PROFILES, True)


def test_the_guard_pauses_every_policy_file_of_the_folder_in_the_store(
    backend: Backend, tmp_path: Path
) -> None:
    for name in ("kiosk", "tutor"):
        (tmp_path / f"{name}.yaml").write_text("description: x\n", encoding="utf-8")
    (tmp_path / "Not A Profile.yaml").write_text("", encoding="utf-8")
    subject = build_guard(backend.settings(policy_dir=tmp_path), LogCapture().log)
    assert deliver(subject, over(120.0)) == reasons.BUDGET_PAUSED
    for name in ("kiosk", "tutor"):
        document = backend.document("tokenvend_profiles", name)
        assert document is not None
        assert document["fields"]["paused"] == {"booleanValue": True}
    assert backend.store().paused("kiosk")


def test_a_guard_without_policy_files_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(policy_dir=tmp_path, firestore_emulator_host="127.0.0.1:1")
    with pytest.raises(ConfigurationError, match="no profile to pause"):
        build_guard(settings, LogCapture().log)


def test_a_guard_pause_stops_a_quota_profile_within_ten_seconds(
    backend: Backend, tmp_path: Path, gemini: FakeGemini, clock: FakeClock
) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_profile: {tokens: 1000, per_seconds: 86400}\n")
    settings = backend.settings(
        profile="kiosk", policy_dir=tmp_path, gemini_endpoint=gemini.url, gemini_api_key="k"
    )
    client = serve(settings, clock)
    headers = {"Origin": ALLOWED_ORIGIN}
    assert client.post("/", headers=headers).status_code == 200
    subject = build_guard(settings, LogCapture().log)
    assert deliver(subject, over(120.0)) == reasons.BUDGET_PAUSED
    clock.advance(10)
    assert client.post("/", headers=headers).status_code == 503


def guard_app(backend: Backend, folder: Path, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    """main.py's budget_guard, built by functions-framework as Cloud Run builds it."""
    environment = {"TOKENVEND_POLICY_DIR": str(folder), **backend.environment()}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app: Flask = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target="budget_guard", source=str(MAIN), signature_type="cloudevent"
    )
    return app.test_client()


def test_main_serves_budget_guard_as_a_cloudevent_function(
    fake_firestore: FakeFirestore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = Backend("fake", fake_firestore.host, "test-main-guard")
    (tmp_path / "kiosk.yaml").write_text("description: x\n", encoding="utf-8")
    client = guard_app(backend, tmp_path, monkeypatch)
    headers, body = binary(message(notification(cost=120.0)))
    assert client.post("/", headers=headers, data=body).status_code == 200
    assert backend.store().paused("kiosk")


def test_a_guard_without_policies_stops_at_cold_start_naming_the_setting(
    fake_firestore: FakeFirestore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend = Backend("fake", fake_firestore.host, "test-main-guard")
    with pytest.raises(ConfigurationError):
        guard_app(backend, tmp_path, monkeypatch)
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert line["severity"] == "CRITICAL"
    assert "TOKENVEND_POLICY_DIR" in line["message"]


def test_an_instance_serves_only_the_entry_point_it_was_built_for() -> None:
    subject = guard(MemoryStore(), LogCapture())
    with pytest.raises(ConfigurationError, match="serves budget_guard"):
        Instance(guard=GuardFunction(subject)).endpoint()
    with pytest.raises(ConfigurationError, match="serves mint_token"):
        Instance().guard()
