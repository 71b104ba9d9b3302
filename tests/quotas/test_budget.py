"""The per-profile budget: blocks leased from shards, never more than the limit."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import pytest

from tests.conftest import FakeClock
from tests.quotas.memory_store import MemoryStore
from tokenvend import reasons
from tokenvend.errors import QuotaExhausted, QuotaStoreUnavailable
from tokenvend.quotas.budget import PROBE_SECONDS, Draw, ProfileBudget
from tokenvend.quotas.health import StoreHealth
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.store import Change

HOUR = 3600


def budget_for(
    store: MemoryStore, clock: FakeClock, tokens: int, *, instances: int = 10, seed: int = 0
) -> ProfileBudget:
    shards = Shards.of("kiosk", tokens, HOUR, instances)
    return ProfileBudget(
        shards, store=store, clock=clock, health=StoreHealth(clock), rng=random.Random(seed)
    )


def drain(budget: ProfileBudget) -> list[Draw]:
    """Every token the budget gives until it refuses."""
    taken = []
    while True:
        try:
            taken.append(budget.take())
        except QuotaExhausted:
            return taken


def test_shards_split_the_limit_exactly_and_grow_with_the_instances_allowed() -> None:
    shards = Shards.of("kiosk", 1003, HOUR, max_instances=8)
    assert shards.count == 4
    assert [shards.cap(n) for n in range(4)] == [251, 251, 251, 250]
    assert Shards.of("kiosk", 10**9, HOUR, max_instances=1000).count == 500
    # A small limit needs few writes anyway: at least 16 tokens a shard.
    assert Shards.of("kiosk", 40, HOUR, max_instances=1000).count == 2
    assert Shards.of("kiosk", 5, HOUR, max_instances=1000).count == 1


def test_shard_names_carry_the_window_and_the_number_of_shards() -> None:
    shards = Shards.of("kiosk", 100, HOUR, max_instances=4)
    assert shards.counters(7200) == [
        "kiosk.profile.3600s.7200.0of2",
        "kiosk.profile.3600s.7200.1of2",
    ]


def test_instances_taking_at_once_never_serve_more_than_the_limit(clock: FakeClock) -> None:
    store = MemoryStore()
    budgets = [budget_for(store, clock, 1000, seed=n) for n in range(6)]
    served: list[int] = []
    lock = threading.Lock()

    def client(budget: ProfileBudget) -> None:
        count = len(drain(budget))
        with lock:
            served.append(count)

    threads = [threading.Thread(target=client, args=(b,)) for b in budgets for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(served) == 1000
    # What the shards count is exactly what was served: every over-take went back.
    assert store.total("kiosk.profile.") == 1000


def test_a_steady_flow_leases_about_once_per_ten_seconds(clock: FakeClock) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 10**9)
    for _ in range(60 * 100):  # 100 tokens a second for a minute
        budget.take()
        clock.advance(0.01)
    # Blocks of 1, 8, 64, 512 while the rate is learnt, then ~1000 (10 s of demand).
    assert store.commits <= 12
    assert max(store.writes.values()) <= 12


def test_per_profile_alone_costs_far_fewer_than_one_round_trip_per_token(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 10**9)
    for _ in range(2000):
        budget.take()
        clock.advance(0.002)
    assert (store.commits + store.reads) / 2000 < 0.01


def test_concurrent_requests_on_an_empty_block_wait_for_one_lease(clock: FakeClock) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 10**9)
    inside = threading.Event()
    go_on = threading.Event()

    def slow(_changes: Sequence[Change]) -> None:
        inside.set()
        go_on.wait(10)

    store.before_add = slow
    first = threading.Thread(target=budget.take)
    first.start()
    assert inside.wait(10)
    others = [threading.Thread(target=budget.take) for _ in range(5)]
    for thread in others:
        thread.start()
    go_on.set()
    for thread in [first, *others]:
        thread.join()
    # The first lease was for one; the waiters then leased once, for all of them.
    assert store.commits == 2


def test_near_the_end_of_the_window_a_block_covers_only_what_is_left(clock: FakeClock) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 10**9)
    leases: list[tuple[float, int]] = []  # (seconds left in the window, block size)
    window_end = clock.monotonic + HOUR - 60 * clock.current.minute - clock.current.second

    def record(changes: Sequence[Change]) -> None:
        leases.extend((window_end - clock.monotonic, c.amount) for c in changes if c.amount > 0)

    store.before_add = record
    clock.advance(HOUR - 90)  # 12:58:30, then 100 tokens a second to the window's end
    while clock.monotonic < window_end - 0.01:
        budget.take()
        clock.advance(0.01)
    late = [(left, size) for left, size in leases if left < 10]
    assert late, "a lease in the window's last ten seconds"
    assert all(size <= 100 * (left + 1) * 1.2 for left, size in late)


def test_an_empty_shard_sends_the_instance_to_one_with_room(clock: FakeClock) -> None:
    store = MemoryStore()
    shards = Shards.of("kiosk", 40, HOUR, max_instances=10)  # two shards of 20
    assert shards.count == 2
    budget = budget_for(store, clock, 40)
    first = budget.take()
    full = shards.counter(first.window_start, first.shard)
    store.counts_by_name[full] = 20  # another instance took the rest of this shard
    drained = drain(budget)
    assert {draw.shard for draw in drained} == {1 - first.shard}
    assert len(drained) == 20
    assert store.reads >= 1


def test_when_every_shard_is_spent_refusals_come_from_memory_until_the_next_look(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 20)
    assert len(drain(budget)) == 20
    calls = store.commits + store.reads
    for _ in range(50):
        with pytest.raises(QuotaExhausted) as refused:
            budget.take()
        assert refused.value.reason == reasons.QUOTA_EXHAUSTED_PROFILE
        assert refused.value.response_headers() == {"Retry-After": str(HOUR)}
    assert store.commits + store.reads == calls
    clock.advance(PROBE_SECONDS)
    with pytest.raises(QuotaExhausted):
        budget.take()
    assert store.reads > 0 and store.commits + store.reads == calls + 1


def test_released_tokens_go_back_to_their_shard_and_serve_another_instance(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    stopping = budget_for(store, clock, 20, seed=1)
    for _ in range(3):
        stopping.take()
        clock.advance(0.001)
    held = store.total("kiosk.profile.") - 3
    assert held > 0
    assert stopping.release() == held
    assert store.total("kiosk.profile.") == 3
    assert len(drain(budget_for(store, clock, 20, seed=2))) == 17


def test_a_token_given_back_is_served_again_without_a_round_trip(clock: FakeClock) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 1)
    draw = budget.take()
    with pytest.raises(QuotaExhausted):
        budget.take()
    budget.give_back(draw)
    commits = store.commits
    assert budget.take() == draw
    assert store.commits == commits


def test_a_new_window_starts_a_fresh_budget_and_old_tokens_expire_with_theirs(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 5)
    drain(budget)
    clock.advance(HOUR)
    assert len(drain(budget)) == 5
    assert budget.release() == 0


def test_a_store_failure_reaches_every_waiting_request(clock: FakeClock) -> None:
    store = MemoryStore()
    store.failing = True
    budget = budget_for(store, clock, 100)
    with pytest.raises(QuotaStoreUnavailable):
        budget.take()
    store.failing = False
    # The store's pause (1 s) is not over: no call is tried.
    with pytest.raises(QuotaStoreUnavailable) as failed:
        budget.take()
    assert "failed a moment ago" in failed.value.detail
    clock.advance(1)
    budget.take()


def test_a_busy_shard_moves_the_instance_to_another(clock: FakeClock) -> None:
    store = MemoryStore()
    budget = budget_for(store, clock, 10**6)
    store.failure = QuotaStoreUnavailable("ABORTED", busy=True)
    homes = set()
    for _ in range(8):
        with pytest.raises(QuotaStoreUnavailable):
            budget.take()
        clock.advance(8)
        homes.add(budget._home)
    assert len(homes) > 1
