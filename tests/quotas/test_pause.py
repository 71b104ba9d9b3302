"""The kill switch on its own: what is known stays known while the store fails."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import FakeClock
from tests.quotas.memory_store import MemoryStore
from tokenvend.errors import ProfilePaused, QuotaStoreUnavailable
from tokenvend.quotas.pause import PauseSwitch


def switch_for(store: MemoryStore, clock: FakeClock, *, refuse: bool) -> PauseSwitch:
    return PauseSwitch(store, "kiosk", clock=clock, refuse_when_unknown=refuse)


@pytest.mark.parametrize("refuse", [True, False])
def test_a_known_pause_holds_whatever_the_store_does_until_a_read_says_otherwise(
    clock: FakeClock, refuse: bool
) -> None:
    store = MemoryStore()
    store.switches["kiosk"] = True
    switch = switch_for(store, clock, refuse=refuse)
    with pytest.raises(ProfilePaused):
        switch.check()
    store.switches["kiosk"] = False
    store.failing = True
    for _ in range(30):  # five minutes of failed reads
        clock.advance(10)
        with pytest.raises(ProfilePaused):
            switch.check()
    store.failing = False
    clock.advance(10)
    switch.check()


def test_refuse_trusts_a_running_switch_for_a_minute_after_the_last_good_read(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    switch = switch_for(store, clock, refuse=True)
    switch.check()
    store.failing = True
    clock.advance(59)
    switch.check()
    clock.advance(1)
    with pytest.raises(QuotaStoreUnavailable):
        switch.check()


def test_a_switch_never_read_is_unknown_refuse_answers_503_and_allow_goes_on(
    clock: FakeClock,
) -> None:
    store = MemoryStore()
    store.failing = True
    with pytest.raises(QuotaStoreUnavailable):
        switch_for(store, clock, refuse=True).check()
    switch_for(store, clock, refuse=False).check()


def test_a_failed_read_is_not_tried_again_on_every_request(clock: FakeClock) -> None:
    store = MemoryStore()
    switch = switch_for(store, clock, refuse=False)
    switch.check()
    clock.advance(10)
    store.failing = True
    switch.check()
    store.failing = False
    reads = store.pause_reads
    for _ in range(10):
        switch.check()
    assert store.pause_reads == reads
    clock.advance(1)
    switch.check()
    assert store.pause_reads == reads + 1


def test_requests_during_the_first_read_wait_for_its_answer(clock: FakeClock) -> None:
    store = MemoryStore()
    store.switches["kiosk"] = True
    reading = threading.Event()
    answer = threading.Event()

    def slow() -> None:
        reading.set()
        answer.wait(10)

    store.before_read = slow
    switch = switch_for(store, clock, refuse=False)
    outcomes: list[str] = []

    def check() -> None:
        try:
            switch.check()
            outcomes.append("minted")
        except ProfilePaused:
            outcomes.append("paused")

    first = threading.Thread(target=check)
    first.start()
    assert reading.wait(10)
    others = [threading.Thread(target=check) for _ in range(3)]
    for thread in others:
        thread.start()
    answer.set()
    for thread in [first, *others]:
        thread.join()
    assert outcomes == ["paused"] * 4
