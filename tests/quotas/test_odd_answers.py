"""Firestore's answers are untrusted input: every odd one is "store unavailable", never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALLOWED_ORIGIN, AppFactory
from tests.fakes.gemini import FakeGemini
from tests.quotas.conftest import write_quota_policy
from tests.quotas.fake_firestore import FakeFirestore
from tokenvend.errors import QuotaStoreUnavailable
from tokenvend.quotas.firestore import FirestoreStore, firestore_store
from tokenvend.quotas.store import Change
from tokenvend.settings import Settings

EXPIRY = datetime(2026, 1, 15, 13, tzinfo=UTC)
NAME = "projects/demo-tokenvend/databases/(default)/documents/tokenvend_counters/c"

ODD_SWITCHES = {
    "a list": [],
    "a string": "paused",
    "fields as a list": {"fields": []},
    "paused as a string": {"fields": {"paused": "true"}},
    "booleanValue as a string": {"fields": {"paused": {"booleanValue": "false"}}},
    "booleanValue as a number": {"fields": {"paused": {"booleanValue": 0}}},
    "deeply nested": json.loads("[" * 500 + "]" * 500),
}
ODD_COMMITS = {
    "no writeResults": {"commitTime": "2026-01-15T12:00:00Z"},
    "writeResults not a list": {"writeResults": {"0": {}}},
    "too few results": {"writeResults": []},
    "no transformResults": {"writeResults": [{}]},
    "a count as a float": {"writeResults": [{"transformResults": [{"integerValue": 1.5}]}]},
    "a count as a bool": {"writeResults": [{"transformResults": [{"integerValue": True}]}]},
    "a count in words": {"writeResults": [{"transformResults": [{"integerValue": "one"}]}]},
    "a count of 40 digits": {"writeResults": [{"transformResults": [{"integerValue": "9" * 40}]}]},
    "a doubleValue": {"writeResults": [{"transformResults": [{"doubleValue": 1}]}]},
}
ODD_READS = {
    "an object": {"found": {}},
    "other documents": [{"missing": NAME + "x"}],
    "a nameless document": [{"found": {"fields": {}}}],
    "a name that is a list": [{"found": {"name": [], "fields": {}}}],
    "a count that is a map": [{"found": {"name": NAME, "fields": {"count": {"mapValue": {}}}}}],
}


def store_of(fake: FakeFirestore) -> FirestoreStore:
    return firestore_store(Settings(firestore_emulator_host=fake.host))


def each(answers: dict[str, Any]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("answer", list(answers.values()), ids=list(answers))


def assert_unavailable(call: Callable[[], object]) -> None:
    with pytest.raises(QuotaStoreUnavailable) as failed:
        call()
    assert failed.value.detail.startswith(("Firestore answered", "Firestore's answer"))


@each(ODD_SWITCHES)
def test_an_odd_kill_switch_document_is_store_unavailable(
    fake_firestore: FakeFirestore, answer: Any
) -> None:
    fake_firestore.answer_body(json.dumps(answer).encode())
    assert_unavailable(lambda: store_of(fake_firestore).paused("kiosk"))


@each(ODD_COMMITS)
def test_an_odd_commit_answer_is_store_unavailable(
    fake_firestore: FakeFirestore, answer: Any
) -> None:
    fake_firestore.answer_body(json.dumps(answer).encode())
    assert_unavailable(lambda: store_of(fake_firestore).add([Change("c", 1, EXPIRY)]))


@each(ODD_READS)
def test_an_odd_batch_get_answer_is_store_unavailable(
    fake_firestore: FakeFirestore, answer: Any
) -> None:
    fake_firestore.answer_body(json.dumps(answer).encode())
    assert_unavailable(lambda: store_of(fake_firestore).counts(["c"]))


def test_an_empty_answer_is_store_unavailable(fake_firestore: FakeFirestore) -> None:
    fake_firestore.answer_body(b"")
    assert_unavailable(lambda: store_of(fake_firestore).paused("kiosk"))


@pytest.mark.parametrize(
    ("status", "busy"), [(409, True), (504, True), (429, False), (500, False), (403, False)]
)
def test_firestore_errors_name_their_status_and_only_contention_is_busy(
    fake_firestore: FakeFirestore, status: int, busy: bool
) -> None:
    body = {"error": {"code": status, "status": "ABORTED" if status == 409 else "X_Y"}}
    fake_firestore.answer_body(json.dumps(body).encode(), status)
    with pytest.raises(QuotaStoreUnavailable) as failed:
        store_of(fake_firestore).add([Change("c", 1, EXPIRY)])
    assert failed.value.detail.startswith(f"Firestore answered HTTP {status} ")
    assert failed.value.busy is busy


@each(ODD_SWITCHES)
def test_through_the_function_an_odd_switch_is_a_503_never_a_500(
    make_client: AppFactory,
    tmp_path: Path,
    fake_firestore: FakeFirestore,
    gemini: FakeGemini,
    answer: Any,
) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_caller: {tokens: 3, per_seconds: 60}\n")
    client = make_client(
        "kiosk", TOKENVEND_POLICY_DIR=str(tmp_path), FIRESTORE_EMULATOR_HOST=fake_firestore.host
    )
    fake_firestore.answer_body(json.dumps(answer).encode())
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == "UNAVAILABLE"
    assert gemini.request_count == 0
