"""The quota gate's decisions, with an in-memory store and a clock that moves on demand."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock, LogCapture
from tests.quotas.memory_store import MemoryStore
from tokenvend import reasons
from tokenvend.callers.caller import Caller
from tokenvend.errors import ProfilePaused, QuotaExhausted, QuotaStoreUnavailable
from tokenvend.policy.model import Limit, Quotas
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.gate import QuotaGate

ANONYMOUS = Caller(kind="anonymous")
ALICE = "198.51.100.7"
BOB = "198.51.100.8"


def gate_for(
    quotas: Quotas, store: MemoryStore, clock: FakeClock, log: LogCapture | None = None
) -> QuotaGate:
    keys = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"test-salt")
    log = log or LogCapture()
    return QuotaGate("kiosk", quotas, store=store, keys=keys, clock=clock, log=log.log)


def admit(gate: QuotaGate, address: str = ALICE, caller: Caller = ANONYMOUS) -> None:
    gate.admit(caller, [address], "10.0.0.1")


def test_caller_over_its_limit_gets_429_with_seconds_to_the_window_end(clock: FakeClock) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(2, 3600)), store, clock)
    clock.advance(600)  # 12:10; the hour's window ends at 13:00
    admit(gate)
    admit(gate)
    with pytest.raises(QuotaExhausted) as refused:
        admit(gate)
    assert refused.value.http_status == 429
    assert refused.value.reason == reasons.QUOTA_EXHAUSTED_CALLER
    assert refused.value.response_headers() == {"Retry-After": "3000"}


def test_each_caller_has_its_own_counter(clock: FakeClock) -> None:
    gate = gate_for(Quotas(per_caller=Limit(1, 60)), MemoryStore(), clock)
    admit(gate, ALICE)
    admit(gate, BOB)
    with pytest.raises(QuotaExhausted):
        admit(gate, ALICE)


def test_a_new_window_starts_a_new_count(clock: FakeClock) -> None:
    gate = gate_for(Quotas(per_caller=Limit(1, 60)), MemoryStore(), clock)
    admit(gate)
    with pytest.raises(QuotaExhausted) as refused:
        admit(gate)
    assert refused.value.response_headers() == {"Retry-After": "60"}
    clock.advance(60)
    admit(gate)


def test_windows_are_aligned_to_multiples_of_per_seconds_since_the_epoch(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_profile=Limit(5, 86400)), store, clock)
    admit(gate)
    (expiry,) = store.expiry.values()
    assert expiry.isoformat() == "2026-01-16T00:00:00+00:00"  # midnight UTC after noon


def test_a_caller_refused_by_its_own_limit_does_not_use_up_the_profile_limit(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(1, 60), per_profile=Limit(2, 60)), store, clock)
    admit(gate, ALICE)
    for _ in range(5):
        with pytest.raises(QuotaExhausted) as refused:
            admit(gate, ALICE)
        assert refused.value.reason == reasons.QUOTA_EXHAUSTED_CALLER
    admit(gate, BOB)  # the profile's second token: Alice's refusals did not count
    with pytest.raises(QuotaExhausted) as refused:
        admit(gate, "198.51.100.9")
    assert refused.value.reason == reasons.QUOTA_EXHAUSTED_PROFILE


def test_verified_subjects_count_apart_whatever_address_they_use(clock: FakeClock) -> None:
    gate = gate_for(Quotas(per_caller=Limit(1, 60)), MemoryStore(), clock)
    alice = Caller(kind="firebase", subject="https://securetoken.google.com/p\nalice")
    bob = Caller(kind="firebase", subject="https://securetoken.google.com/p\nbob")
    admit(gate, ALICE, alice)
    admit(gate, ALICE, bob)
    with pytest.raises(QuotaExhausted):
        admit(gate, BOB, alice)


def test_counter_names_hold_neither_the_address_nor_the_subject(clock: FakeClock) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(5, 60)), store, clock)
    admit(gate, ALICE)
    admit(gate, ALICE, Caller(kind="google", subject="https://accounts.google.com\nme@x.org"))
    names = " ".join(store.counts)
    assert ALICE not in names and "me@x.org" not in names and "accounts" not in names


def test_paused_profile_answers_503_and_counts_nothing(clock: FakeClock) -> None:
    store = MemoryStore()
    store.switches["kiosk"] = True
    gate = gate_for(Quotas(per_caller=Limit(5, 60)), store, clock)
    with pytest.raises(ProfilePaused) as refused:
        admit(gate)
    assert refused.value.http_status == 503
    assert refused.value.reason == reasons.PROFILE_PAUSED
    assert "Retry-After" in refused.value.response_headers()
    assert store.increments == 0


def test_pause_and_resume_reach_an_instance_within_ten_seconds(clock: FakeClock) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_profile=Limit(100, 3600)), store, clock)
    admit(gate)
    store.switches["kiosk"] = True
    clock.advance(9.9)
    admit(gate)  # still the cached "running"
    clock.advance(0.1)
    with pytest.raises(ProfilePaused):
        admit(gate)
    store.switches["kiosk"] = False
    clock.advance(10)
    admit(gate)


def test_the_switch_is_read_once_per_ten_seconds_not_per_token(clock: FakeClock) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_profile=Limit(100, 3600)), store, clock)
    for _ in range(20):
        admit(gate)
        clock.advance(1)
    assert store.pause_reads == 2


def test_unavailable_store_refuses_with_503_by_default(clock: FakeClock) -> None:
    store = MemoryStore()
    store.failing = True
    gate = gate_for(Quotas(per_caller=Limit(5, 60)), store, clock)
    with pytest.raises(QuotaStoreUnavailable) as refused:
        admit(gate)
    assert refused.value.http_status == 503
    assert refused.value.reason == reasons.QUOTA_STORE_UNAVAILABLE


def test_unavailable_store_with_allow_serves_and_warns_once_per_window(clock: FakeClock) -> None:
    store = MemoryStore()
    log = LogCapture()
    quotas = Quotas(
        per_caller=Limit(5, 60), per_profile=Limit(9, 3600), when_store_unavailable="allow"
    )
    gate = gate_for(quotas, store, clock, log)
    admit(gate)
    store.failing = True
    for _ in range(10):
        admit(gate)  # served uncounted
    clock.advance(60)
    admit(gate)
    warnings = [entry for entry in log.entries() if entry["severity"] == "WARNING"]
    assert len(warnings) == 2
    assert all(entry["reason"] == reasons.QUOTA_STORE_UNAVAILABLE for entry in warnings)
    assert "serving uncounted" in warnings[0]["message"]
