"""The ``QuotaStore`` contract, run against the loopback fake and the real emulator."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tests.quotas.conftest import Backend
from tokenvend.quotas.store import COUNTERS, PROFILES

EXPIRY = datetime(2026, 1, 15, 13, 0, 0, tzinfo=UTC)


def test_increment_counts_from_one_and_returns_each_new_value(backend: Backend) -> None:
    store = backend.store()
    assert [store.increment("p.caller.60s.0.abc", EXPIRY) for _ in range(3)] == [1, 2, 3]


def test_counters_of_different_names_are_independent(backend: Backend) -> None:
    store = backend.store()
    store.increment("p.caller.60s.0.one", EXPIRY)
    store.increment("p.caller.60s.0.one", EXPIRY)
    assert store.increment("p.caller.60s.0.two", EXPIRY) == 1


def test_counter_document_holds_an_integer_count_and_the_window_end_for_ttl(
    backend: Backend,
) -> None:
    backend.store().increment("p.profile.3600s.0", EXPIRY)
    document = backend.document(COUNTERS, "p.profile.3600s.0")
    assert document is not None
    assert document["fields"]["count"] == {"integerValue": "1"}
    stamp = document["fields"]["expire_at"]["timestampValue"]
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) == EXPIRY


def test_concurrent_increments_return_every_value_exactly_once(backend: Backend) -> None:
    store = backend.store()
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: store.increment("p.hot", EXPIRY), range(24)))
    assert sorted(values) == list(range(1, 25))


def test_a_profile_without_a_switch_document_is_not_paused(backend: Backend) -> None:
    assert backend.store().paused("never-touched") is False


def test_pause_and_resume_are_read_back_from_the_profile_document(backend: Backend) -> None:
    store = backend.store()
    store.set_paused("kiosk", True)
    assert store.paused("kiosk") is True
    document = backend.document(PROFILES, "kiosk")
    assert document is not None
    assert document["fields"]["paused"] == {"booleanValue": True}
    store.set_paused("kiosk", False)
    assert store.paused("kiosk") is False
