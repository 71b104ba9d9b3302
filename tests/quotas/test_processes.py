"""Quotas across real functions-framework processes sharing the real Firestore emulator.

These need the emulator: they are what "across instances" and "survives a restart"
mean, which no in-process fake can show.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.conftest import ALLOWED_ORIGIN, API_KEY
from tests.fakes.gemini import FakeGemini
from tests.process import FunctionProcess
from tests.quotas.conftest import Backend, write_quota_policy
from tests.quotas.write_rate import WriteRateProxy
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.windows import Window

pytestmark = pytest.mark.process

CLIENT = "203.0.113.50"
MONTH = 2592000


def function_environment(backend: Backend, folder: Path, gemini: FakeGemini) -> dict[str, str]:
    return {
        "TOKENVEND_PROFILE": "kiosk",
        "TOKENVEND_POLICY_DIR": str(folder),
        "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
        "GEMINI_API_KEY": API_KEY,
        "TOKENVEND_API_KEY_SECRET": "",
        **backend.environment(),
    }


def post(url: str, session: requests.Session | None = None, caller: str = CLIENT) -> int:
    headers = {"Origin": ALLOWED_ORIGIN, "X-Forwarded-For": caller}
    poster = session or requests
    return poster.post(url, headers=headers, json={}, timeout=60).status_code


def test_forty_concurrent_requests_across_two_instances_serve_exactly_the_limit(
    emulator_backend: Backend, tmp_path: Path, gemini: FakeGemini
) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_caller: {tokens: 10, per_seconds: 2592000}\n")
    environment = function_environment(emulator_backend, tmp_path, gemini)
    with (
        FunctionProcess(environment, debug=False) as first,
        FunctionProcess(environment, debug=False) as second,
    ):
        first.wait_until_listening()
        second.wait_until_listening()
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        start = threading.Barrier(40)

        def one(index: int) -> None:
            url = (first, second)[index % 2].url
            start.wait()
            status = post(url)
            with lock:
                statuses[status] += 1

        threads = [threading.Thread(target=one, args=(index,)) for index in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == Counter({200: 10, 429: 30})
    assert gemini.request_count == 10


def test_counts_survive_a_restart_of_the_function(
    emulator_backend: Backend, tmp_path: Path, gemini: FakeGemini
) -> None:
    write_quota_policy(tmp_path, "kiosk", "  per_caller: {tokens: 3, per_seconds: 2592000}\n")
    environment = function_environment(emulator_backend, tmp_path, gemini)
    with FunctionProcess(environment, debug=False) as before:
        before.wait_until_listening()
        assert [post(before.url), post(before.url)] == [200, 200]
    with FunctionProcess(environment, debug=False) as after:
        after.wait_until_listening()
        assert [post(after.url), post(after.url)] == [200, 429]


LAUNCH_DAY_TOKENS = 400


def flood(urls: list[str], clients: int, *, caller: str | None = None) -> Counter[int]:
    """``clients`` threads post round-robin until each saw every instance refuse twice."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        session = requests.Session()
        start.wait()
        refused_in_a_row, sent = 0, 0
        while refused_in_a_row < 2 * len(urls) and sent < 1000:
            url = urls[(index + sent) % len(urls)]
            address = caller or f"198.18.{index}.{sent % 250}"
            status = post(url, session, address)
            sent += 1
            refused_in_a_row = refused_in_a_row + 1 if status == 429 else 0
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def profile_counts(backend: Backend, tokens: int, windows: set[int]) -> int:
    """What the profile's shard documents count, over the windows the test spanned."""
    shards = Shards.of("kiosk", tokens, MONTH, max_instances=10)
    names = [name for start in sorted(windows) for name in shards.counters(start)]
    return sum(backend.store().counts(names))


def month_window() -> int:
    return Window.at(datetime.now(UTC), MONTH).start


def test_a_flood_on_three_instances_serves_the_limit_and_no_document_runs_hot(
    emulator_backend: Backend, tmp_path: Path, gemini: FakeGemini
) -> None:
    limit = f"  per_profile: {{tokens: {LAUNCH_DAY_TOKENS}, per_seconds: {MONTH}}}\n"
    write_quota_policy(tmp_path, "kiosk", limit)
    windows = {month_window()}
    with WriteRateProxy(emulator_backend.host) as proxy:
        through_proxy = replace(emulator_backend, host=proxy.host)
        environment = function_environment(through_proxy, tmp_path, gemini)
        with contextlib.ExitStack() as stack:
            instances = [
                stack.enter_context(FunctionProcess(environment, debug=False)) for _ in range(3)
            ]
            for instance in instances:
                instance.wait_until_listening()
            statuses = flood([instance.url for instance in instances], clients=24)
        windows.add(month_window())
    assert set(statuses) == {200, 429}
    # Never more than the limit; and with every instance drained, not one token less.
    assert statuses[200] == LAUNCH_DAY_TOKENS
    assert gemini.request_count == LAUNCH_DAY_TOKENS
    # The shards count at least what was served: more only where the harness refused to
    # take back the part of a racing lease over a cap (fewer tokens, never more).
    assert profile_counts(emulator_backend, LAUNCH_DAY_TOKENS, windows) >= LAUNCH_DAY_TOKENS
    # A shard Firestore finds busy is left for another: no request saw it.
    shards = proxy.stats(documents_containing=".profile.")
    assert shards.sustained_writes_per_second <= 1.0
    round_trips = sum(shards.calls.values())
    assert round_trips / LAUNCH_DAY_TOKENS < 0.25


def test_an_instance_stopped_by_sigterm_gives_its_unused_block_back(
    emulator_backend: Backend, tmp_path: Path, gemini: FakeGemini
) -> None:
    write_quota_policy(
        tmp_path, "kiosk", f"  per_profile: {{tokens: 100000, per_seconds: {MONTH}}}\n"
    )
    environment = function_environment(emulator_backend, tmp_path, gemini)
    windows = {month_window()}
    with FunctionProcess(environment, debug=False) as instance:
        instance.wait_until_listening()
        session = requests.Session()
        assert [post(instance.url, session) for _ in range(60)] == [200] * 60
        windows.add(month_window())
        assert profile_counts(emulator_backend, 100000, windows) > 60  # a block is held
        instance.process.terminate()  # what Cloud Run sends before it stops an instance
        assert instance.wait_for_exit() == 0
        assert "unused token(s) back at shutdown" in instance.output
    assert profile_counts(emulator_backend, 100000, windows) == 60


def test_a_caller_flooding_three_instances_costs_a_few_writes_not_one_per_request(
    emulator_backend: Backend, tmp_path: Path, gemini: FakeGemini
) -> None:
    write_quota_policy(tmp_path, "kiosk", f"  per_caller: {{tokens: 5, per_seconds: {MONTH}}}\n")
    with WriteRateProxy(emulator_backend.host, burst=100) as proxy:
        environment = function_environment(
            replace(emulator_backend, host=proxy.host), tmp_path, gemini
        )
        with contextlib.ExitStack() as stack:
            instances = [
                stack.enter_context(FunctionProcess(environment, debug=False)) for _ in range(3)
            ]
            for instance in instances:
                instance.wait_until_listening()
            urls = [instance.url for instance in instances]
            first = flood(urls, clients=8, caller=CLIENT)
            written = proxy.stats(documents_containing=".caller.").calls["commit"]
            again = flood(urls, clients=8, caller=CLIENT)
            rewritten = proxy.stats(documents_containing=".caller.").calls["commit"]
    assert first[200] == 5 and again[200] == 0
    assert first[429] >= 8 * 2 * 3 and again[429] >= 8 * 2 * 3
    # Five counted, then on each instance one increment over the limit and its give-back;
    # after that the flood is refused from memory.
    assert written <= 5 + 2 * 3
    assert rewritten == written
