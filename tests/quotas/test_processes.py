"""Quotas across real functions-framework processes sharing the real Firestore emulator.

These need the emulator: they are what "across instances" and "survives a restart"
mean, which no in-process fake can show.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import ALLOWED_ORIGIN, API_KEY
from tests.fakes.gemini import FakeGemini
from tests.process import FunctionProcess
from tests.quotas.conftest import Backend, write_quota_policy

pytestmark = pytest.mark.process

CLIENT = "203.0.113.50"


def function_environment(backend: Backend, folder: Path, gemini: FakeGemini) -> dict[str, str]:
    return {
        "TOKENVEND_PROFILE": "kiosk",
        "TOKENVEND_POLICY_DIR": str(folder),
        "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
        "GEMINI_API_KEY": API_KEY,
        "TOKENVEND_API_KEY_SECRET": "",
        **backend.environment(),
    }


def post(url: str, session: requests.Session | None = None) -> int:
    headers = {"Origin": ALLOWED_ORIGIN, "X-Forwarded-For": CLIENT}
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
