"""budget_guard as Cloud Run runs it: a functions-framework process serving the
CloudEvent function (``--signature-type=cloudevent --target=budget_guard``), sharing
the real Firestore emulator, posted the CloudEvents Eventarc delivers for a budget's
Pub/Sub messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.process import FunctionProcess
from tests.quotas.budget_events import (
    BUDGET_ID,
    binary,
    message,
    notification,
    post,
    structured,
)
from tests.quotas.conftest import Backend
from tokenvend import reasons
from tokenvend.quotas.firestore import FirestoreStore

pytestmark = pytest.mark.process

PROFILES = ("kiosk", "tutor", "voice-assistant")
NEXT_MONTH = "2027-01-01T08:00:00Z"


def policies(folder: Path) -> Path:
    for name in PROFILES:
        (folder / f"{name}.yaml").write_text("description: a profile\n", encoding="utf-8")
    return folder


def start_guard(backend: Backend, folder: Path, **environment: str) -> FunctionProcess:
    process = FunctionProcess(
        {"TOKENVEND_POLICY_DIR": str(folder), **backend.environment(), **environment},
        debug=False,
        target="budget_guard",
        signature_type="cloudevent",
    )
    process.wait_until_listening()
    process.wait_for_line("guarding 3 profiles")
    return process


@pytest.fixture
def guard(emulator_backend: Backend, tmp_path: Path) -> Iterator[FunctionProcess]:
    with start_guard(emulator_backend, policies(tmp_path), TOKENVEND_BUDGET_ID=BUDGET_ID) as p:
        yield p


def switches(store: FirestoreStore) -> dict[str, bool]:
    return {name: store.paused(name) for name in PROFILES}


def is_guard_line(line: str) -> bool:
    if not line.startswith("{"):
        return False
    entry = json.loads(line)
    return entry.get("event") == "budget_guard" and "reason" in entry


def reasons_logged(process: FunctionProcess, count: int) -> list[str]:
    """The reasons of the guard's first ``count`` decisions, once all of them are logged."""
    return [json.loads(line)["reason"] for line in process.wait_for_lines(is_guard_line, count)]


def over(percent: float, interval_start: str = "2026-12-01T08:00:00Z") -> dict[str, object]:
    return message(notification(cost=percent, budget=100.0, interval_start=interval_start))


def test_over_the_threshold_pauses_every_profile_once_and_never_resumes(
    guard: FunctionProcess, emulator_backend: Backend
) -> None:
    store = emulator_backend.store()
    assert post(guard.url, binary(over(40.0))) == 200
    assert switches(store) == dict.fromkeys(PROFILES, False)
    pubsub_message = over(104.2)
    assert post(guard.url, binary(pubsub_message)) == 200
    assert switches(store) == dict.fromkeys(PROFILES, True)
    # Pub/Sub delivers at least once: the same message again changes nothing.
    assert post(guard.url, binary(pubsub_message)) == 200
    # An operator resumes one on purpose: later notifications of this month leave it be.
    store.set_paused("kiosk", False)
    assert post(guard.url, structured(over(130.0))) == 200
    assert post(guard.url, binary(over(1.0))) == 200
    assert switches(store) == {"kiosk": False, "tutor": True, "voice-assistant": True}
    # Next month, reaching the budget pauses again.
    assert post(guard.url, binary(over(100.0, NEXT_MONTH))) == 200
    assert switches(store) == dict.fromkeys(PROFILES, True)
    assert reasons_logged(guard, 6) == [
        reasons.BUDGET_UNDER_THRESHOLD,
        reasons.BUDGET_PAUSED,
        reasons.BUDGET_ALREADY_ACTED,
        reasons.BUDGET_ALREADY_ACTED,
        reasons.BUDGET_UNDER_THRESHOLD,
        reasons.BUDGET_PAUSED,
    ]


def test_foreign_and_malformed_notifications_are_acknowledged_and_change_nothing(
    guard: FunctionProcess, emulator_backend: Backend
) -> None:
    foreign = message(notification(cost=900.0), budget_id="someone-elses-budget")
    bad_data = over(900.0)
    bad_data["data"] = "bm90IGpzb24="  # base64 of "not json"
    headers, _ = binary(over(900.0))
    deliveries = [
        binary(foreign),
        binary(bad_data),
        (headers, b"not json at all"),
        (headers, b'{"message": {"data": 12}}'),
        binary(message(notification(cost=900.0), budget_id=None)),
    ]
    assert [post(guard.url, delivery) for delivery in deliveries] == [200] * len(deliveries)
    assert switches(emulator_backend.store()) == dict.fromkeys(PROFILES, False)
    assert reasons_logged(guard, 5) == [reasons.BUDGET_FOREIGN] + [reasons.BUDGET_MALFORMED] * 4
    # A body over the cap (16 KiB) is cut, so it is not a notification either.
    huge = (headers, json.dumps({"message": over(900.0), "pad": "x" * 40000}).encode())
    assert post(guard.url, huge) == 200
    assert reasons_logged(guard, 6)[-1] == reasons.BUDGET_MALFORMED
    assert switches(emulator_backend.store()) == dict.fromkeys(PROFILES, False)


def test_an_already_paused_profile_stays_paused_under_the_threshold(
    guard: FunctionProcess, emulator_backend: Backend
) -> None:
    store = emulator_backend.store()
    store.set_paused("tutor", True)
    assert post(guard.url, binary(over(10.0))) == 200
    assert switches(store) == {"kiosk": False, "tutor": True, "voice-assistant": False}


def test_without_a_budget_id_any_well_formed_notification_over_the_threshold_pauses(
    emulator_backend: Backend, tmp_path: Path
) -> None:
    with start_guard(
        emulator_backend, policies(tmp_path), TOKENVEND_BUDGET_PAUSE_AT_PERCENT="80"
    ) as guard:
        assert post(guard.url, binary(over(79.0))) == 200
        assert switches(emulator_backend.store()) == dict.fromkeys(PROFILES, False)
        foreign = message(notification(cost=80.0), budget_id="any-budget")
        assert post(guard.url, binary(foreign)) == 200
        assert switches(emulator_backend.store()) == dict.fromkeys(PROFILES, True)


def test_an_unreachable_store_answers_500_so_pub_sub_delivers_again(
    emulator_backend: Backend, tmp_path: Path
) -> None:
    unreachable = Backend("emulator", "127.0.0.1:9", emulator_backend.project)
    with start_guard(
        unreachable, policies(tmp_path), TOKENVEND_FIRESTORE_TIMEOUT_SECONDS="2"
    ) as guard:
        assert post(guard.url, binary(over(120.0))) == 500
        assert reasons_logged(guard, 1) == [reasons.BUDGET_STORE_UNAVAILABLE]
        # The mint endpoint is not served here.
        assert requests.post(guard.url, json={}, timeout=30).status_code != 200
