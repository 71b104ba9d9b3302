"""The ``QuotaStore`` contract, run against the loopback fake and the real emulator."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from tests.quotas.conftest import Backend
from tokenvend.quotas.store import COUNTERS, PROFILES, Change

EXPIRY = datetime(2026, 1, 15, 13, 0, 0, tzinfo=UTC)


def one(counter: str, amount: int = 1) -> list[Change]:
    return [Change(counter, amount, EXPIRY)]


def test_add_counts_from_zero_and_returns_each_new_value(backend: Backend) -> None:
    store = backend.store()
    assert [store.add(one("p.caller.60s.0.abc")) for _ in range(3)] == [(1,), (2,), (3,)]


def test_a_negative_amount_gives_back_and_returns_the_lower_count(backend: Backend) -> None:
    store = backend.store()
    store.add(one("p.profile.60s.0.0of2", 40))
    assert store.add(one("p.profile.60s.0.0of2", -15)) == (25,)


def test_one_commit_changes_several_counters_and_returns_each_count_in_order(
    backend: Backend,
) -> None:
    store = backend.store()
    store.add(one("p.caller.60s.0.abc", 2))
    counts = store.add(
        [Change("p.caller.60s.0.abc", 1, EXPIRY), Change("p.profile.60s.0.1of2", 50, EXPIRY)]
    )
    assert counts == (3, 50)


def test_counters_of_different_names_are_independent(backend: Backend) -> None:
    store = backend.store()
    store.add(one("p.caller.60s.0.one", 2))
    assert store.add(one("p.caller.60s.0.two")) == (1,)


def test_counts_reads_several_counters_at_once_and_zero_for_one_never_written(
    backend: Backend,
) -> None:
    store = backend.store()
    store.add([Change("p.s.0of3", 7, EXPIRY), Change("p.s.2of3", 9, EXPIRY)])
    assert store.counts(["p.s.0of3", "p.s.1of3", "p.s.2of3"]) == (7, 0, 9)


def test_counter_document_holds_an_integer_count_and_the_window_end_for_ttl(
    backend: Backend,
) -> None:
    backend.store().add(one("p.profile.3600s.0.0of1"))
    document = backend.document(COUNTERS, "p.profile.3600s.0.0of1")
    assert document is not None
    assert document["fields"]["count"] == {"integerValue": "1"}
    stamp = document["fields"]["expire_at"]["timestampValue"]
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")) == EXPIRY


def test_concurrent_adds_return_every_value_exactly_once(backend: Backend) -> None:
    store = backend.store()
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: store.add(one("p.hot"))[0], range(24)))
    assert sorted(values) == list(range(1, 25))


def test_concurrent_blocks_take_disjoint_ranges_of_the_count(backend: Backend) -> None:
    store = backend.store()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ends = list(pool.map(lambda _: store.add(one("p.blocks", 5))[0], range(16)))
    ranges = sorted((end - 5, end) for end in ends)
    assert ranges == [(5 * n, 5 * n + 5) for n in range(16)]


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
