"""The quota gate's decisions, with an in-memory store and a clock that moves on demand."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.conftest import FakeClock, LogCapture
from tests.quotas.memory_store import MemoryStore
from tokenvend import reasons
from tokenvend.callers.caller import Caller
from tokenvend.errors import (
    ProfilePaused,
    QuotaCallerBusy,
    QuotaExhausted,
    QuotaStoreUnavailable,
)
from tokenvend.policy.model import Limit, Quotas
from tokenvend.quotas.caller_key import CallerKeys
from tokenvend.quotas.gate import Admission, QuotaGate
from tokenvend.quotas.store import Change

ANONYMOUS = Caller(kind="anonymous")
ALICE = "198.51.100.7"
BOB = "198.51.100.8"


def gate_for(
    quotas: Quotas, store: MemoryStore, clock: FakeClock, log: LogCapture | None = None
) -> QuotaGate:
    keys = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"test-salt")
    log = log or LogCapture()
    return QuotaGate(
        "kiosk", quotas, store=store, keys=keys, clock=clock, log=log.log, max_instances=10
    )


def admit(gate: QuotaGate, address: str = ALICE, caller: Caller = ANONYMOUS) -> Admission:
    return gate.admit(caller, [address], "10.0.0.1")


def holding_a_block(
    store: MemoryStore, clock: FakeClock, log: LogCapture | None = None, served: int = 20
) -> QuotaGate:
    """A per_profile gate that served ``served`` tokens, 100 a second: it holds a block."""
    gate = gate_for(Quotas(per_profile=Limit(10**6, 3600)), store, clock, log)
    for _ in range(served):
        admit(gate)
        clock.advance(0.01)
    return gate


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
    names = " ".join(store.counts_by_name)
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
    assert store.commits == 0


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


def test_with_allow_an_unavailable_store_serves_what_this_instance_counts_alone(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    log = LogCapture()
    quotas = Quotas(
        per_caller=Limit(5, 60), per_profile=Limit(9, 3600), when_store_unavailable="allow"
    )
    gate = gate_for(quotas, store, clock, log)
    admit(gate)
    store.failing = True
    for _ in range(4):
        admit(gate)  # served uncounted: 5 for Alice on this instance
    with pytest.raises(QuotaExhausted) as refused:
        admit(gate)
    assert refused.value.reason == reasons.QUOTA_EXHAUSTED_CALLER
    clock.advance(60)
    admit(gate)
    warnings = [entry for entry in log.entries() if entry["severity"] == "WARNING"]
    assert len(warnings) == 2  # once per window of the shortest limit
    assert all(entry["reason"] == reasons.QUOTA_STORE_UNAVAILABLE for entry in warnings)
    assert "serving what each instance counts alone" in warnings[0]["message"]


def test_a_caller_over_its_limit_is_refused_from_memory_without_a_write(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(3, 3600)), store, clock)
    for _ in range(3):
        admit(gate)
    commits = store.commits
    for _ in range(100):
        with pytest.raises(QuotaExhausted):
            admit(gate)
    assert store.commits == commits
    assert store.total("kiosk.caller.") == 3


def test_another_instances_caller_over_the_limit_costs_one_write_and_its_give_back(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    first, second = (gate_for(Quotas(per_caller=Limit(2, 3600)), store, clock) for _ in "ab")
    admit(first)
    admit(first)
    commits = store.commits
    for _ in range(10):
        with pytest.raises(QuotaExhausted):
            admit(second)
    # One increment that found the limit reached, then its give-back; memory after that.
    assert store.commits == commits + 2
    assert store.total("kiosk.caller.") == 2


def test_a_token_not_minted_is_given_back_to_the_caller_and_the_profile(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(1, 3600), per_profile=Limit(1, 3600)), store, clock)
    for _ in range(3):  # Gemini fails three times
        admit(gate).give_back()
    assert store.total("kiosk.caller.") == 0
    admitted = admit(gate)
    admitted.give_back()
    admitted.give_back()  # once only
    assert store.total("kiosk.caller.") == 0
    admit(gate)
    with pytest.raises(QuotaExhausted):
        admit(gate, BOB)  # the profile's one token is spent
    assert store.total("kiosk.caller.") == 1


def test_both_limits_cost_one_round_trip_per_token(clock: FakeClock) -> None:
    store = MemoryStore()
    quotas = Quotas(per_caller=Limit(10, 3600), per_profile=Limit(10**6, 3600))
    gate = gate_for(quotas, store, clock)
    for n in range(1000):
        admit(gate, f"198.51.{n // 250}.{n % 250}")
        clock.advance(0.01)
    round_trips = store.commits + store.reads + store.pause_reads
    assert round_trips / 1000 < 1.02


def test_a_request_refused_by_the_profile_limit_is_not_counted_for_its_caller(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(5, 3600), per_profile=Limit(1, 3600)), store, clock)
    admit(gate, ALICE)
    with pytest.raises(QuotaExhausted) as refused:
        admit(gate, BOB)
    assert refused.value.reason == reasons.QUOTA_EXHAUSTED_PROFILE
    assert store.total("kiosk.caller.") == 1


def test_a_busy_caller_counter_refuses_that_caller_only_and_keeps_the_store_up(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(50, 3600)), store, clock)
    alice = CallerKeys("kiosk", trusted_proxy_hops=0, salt=b"test-salt").key(
        ANONYMOUS, [ALICE], "10.0.0.1"
    )

    def alice_is_hot(changes: Sequence[Change]) -> None:
        if any(alice in change.counter for change in changes):
            raise QuotaStoreUnavailable("HTTP 409 ABORTED", busy=True)

    store.before_add = alice_is_hot
    for _ in range(3):
        with pytest.raises(QuotaCallerBusy) as refused:
            admit(gate, ALICE)
        assert refused.value.http_status == 429
        assert refused.value.reason == reasons.QUOTA_CALLER_BUSY
        assert refused.value.response_headers() == {"Retry-After": "2"}
        admit(gate, BOB)  # at once: a busy counter is not the store being down


def test_a_down_store_is_not_asked_again_for_a_second(clock: FakeClock) -> None:
    store = MemoryStore()
    gate = gate_for(Quotas(per_caller=Limit(50, 3600)), store, clock)
    admit(gate)
    store.failing = True
    with pytest.raises(QuotaStoreUnavailable):
        admit(gate, BOB)
    store.failing = False
    commits = store.commits
    with pytest.raises(QuotaStoreUnavailable):
        admit(gate, BOB)
    assert store.commits == commits
    clock.advance(1)
    admit(gate, BOB)


def test_tokens_held_are_served_while_the_store_is_down_even_with_refuse(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    gate = holding_a_block(store, clock, served=100)
    store.failing = True
    for _ in range(20):
        admit(gate)
        clock.advance(0.01)


def test_release_at_shutdown_gives_the_held_block_back_and_logs_it(clock: FakeClock) -> None:
    store = MemoryStore()
    log = LogCapture()
    gate = holding_a_block(store, clock, log)
    assert store.total("kiosk.profile.") > 20
    gate.release()
    assert store.total("kiosk.profile.") == 20
    assert "unused token(s) back at shutdown" in log.entries()[-1]["message"]


def test_release_with_the_store_down_loses_the_block_and_says_so(clock: FakeClock) -> None:
    store = MemoryStore()
    log = LogCapture()
    gate = holding_a_block(store, clock, log)
    store.failing = True
    gate.release()
    assert "could not give held tokens back" in log.entries()[-1]["message"]
