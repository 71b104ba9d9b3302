"""Launch day, modelled: several function processes, many clients, one shared budget.

Both runs go through the harness of ``bench/quotas.py`` (Firestore's write rate per
document enforced, every write counted per document per second):

- ``flood``: three instances and 32 clients ask for tokens as fast as they can, each
  from a fresh address, until the ``per_profile`` budget is spent on every instance.
  What counts: served against the limit, the tokens still held when the instances get
  SIGTERM (given back), and the writes per document.
- ``steady``: three instances serve 24 clients for 20 s with both limits, callers
  rotating over 5000 addresses. What counts: tokens per second against the peak and the
  sustained writes per second on the busiest document of all, and the blocks the
  instances hold at the end, which SIGTERM gives back.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import urllib3

from bench.common import BODY, Fakes, Function, first_token, start_function
from bench.quotas import Rig, headers, quota_policy
from tokenvend.policy.loader import load_profile
from tokenvend.quotas.firestore import firestore_store
from tokenvend.quotas.shards import Shards
from tokenvend.quotas.windows import Window
from tokenvend.settings import Settings

INSTANCES = 3
FLOOD_CLIENTS = 32
FLOOD_TOKENS = 3000
STEADY_CLIENTS = 24
STEADY_SECONDS = 20.0
DAY = 86400


def flood(fakes: Fakes, rig: Rig) -> dict[str, Any]:
    quota_policy(
        rig.folder,
        "bench-flood",
        f"  per_profile: {{tokens: {FLOOD_TOKENS}, per_seconds: {DAY}}}\n",
    )
    environment = rig.environment("bench-flood", through_proxy=True)
    project = environment["GOOGLE_CLOUD_PROJECT"]
    functions = _started(fakes, environment)
    calls = Counter(rig.proxy.calls)
    started = time.perf_counter()
    try:
        statuses = _clients(functions, FLOOD_CLIENTS, _until_refused_everywhere)
        statuses[200] += len(functions)  # first_token's, one per instance
        seconds = time.perf_counter() - started
        counted = _counted(rig, project, "bench-flood")
    finally:
        for function in functions:
            function.stop()  # SIGTERM: each gives what it holds back
    stats = rig.proxy.stats(documents_containing=f"/{project}/")
    return {
        "limit": FLOOD_TOKENS,
        "statuses": dict(statuses),
        "seconds": seconds,
        "counted_before_stop": counted,
        "counted_after_stop": _counted(rig, project, "bench-flood"),
        "peak": stats.peak_writes_per_second,
        "sustained": stats.sustained_writes_per_second,
        "refused_writes": stats.refused_writes,
        "round_trips": sum((Counter(rig.proxy.calls) - calls).values()),
    }


def steady(fakes: Fakes, rig: Rig) -> dict[str, Any]:
    quota_policy(
        rig.folder,
        "bench-steady",
        "  per_caller: {tokens: 1000000000, per_seconds: 86400}\n"
        "  per_profile: {tokens: 1000000000, per_seconds: 86400}\n",
    )
    environment = rig.environment("bench-steady", through_proxy=True)
    project = environment["GOOGLE_CLOUD_PROJECT"]
    functions = _started(fakes, environment)
    calls = Counter(rig.proxy.calls)
    deadline = time.perf_counter() + STEADY_SECONDS
    try:
        statuses = _clients(
            functions, STEADY_CLIENTS, lambda _s, _n: time.perf_counter() < deadline
        )
        statuses[200] += len(functions)  # first_token's, one per instance
        counted = _counted(rig, project, "bench-steady")
    finally:
        for function in functions:
            function.stop()  # SIGTERM: each gives what it holds back
    stats = rig.proxy.stats(documents_containing=f"/{project}/")
    return {
        "statuses": dict(statuses),
        "counted_before_stop": counted,
        "counted_after_stop": _counted(rig, project, "bench-steady"),
        "seconds": STEADY_SECONDS,
        "peak": stats.peak_writes_per_second,
        "peak_document": stats.peak_document,
        "sustained": stats.sustained_writes_per_second,
        "refused_writes": stats.refused_writes,
        "round_trips": sum((Counter(rig.proxy.calls) - calls).values()),
    }


def _started(fakes: Fakes, environment: dict[str, str]) -> list[Function]:
    functions = [start_function("tokenvend", fakes, environment) for _ in range(INSTANCES)]
    for function in functions:
        first_token(function)
    return functions


def _until_refused_everywhere(statuses: list[int], _sent: int) -> bool:
    """Go on until every instance refused this client twice in a row."""
    recent = statuses[-2 * INSTANCES :]
    return len(recent) < 2 * INSTANCES or any(status != 429 for status in recent)


def _clients(
    functions: list[Function], clients: int, go_on: Callable[[list[int], int], bool]
) -> Counter[int]:
    """``clients`` threads post round-robin over the instances while ``go_on`` says so."""
    total: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        pool = urllib3.PoolManager(maxsize=1)
        seen: list[int] = []
        barrier.wait()
        while go_on(seen, len(seen)) and len(seen) < 20_000:
            url = functions[(index + len(seen)) % len(functions)].url
            n = len(seen) * clients + index  # every request from another caller
            seen.append(pool.request("POST", url, body=BODY, headers=headers(n)).status)
        with lock:
            total.update(seen)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total


def _counted(rig: Rig, project: str, profile: str) -> int:
    """What the profile's shard documents count in the current window."""
    store = firestore_store(
        Settings(firestore_emulator_host=rig.emulator.host, google_cloud_project=project)
    )
    policy = load_profile(rig.folder, profile)
    limit = policy.quotas.per_profile if policy.quotas else None
    assert limit is not None
    shards = Shards.of(profile, limit.tokens, limit.per_seconds, policy.deploy.max_instances)
    start = Window.at(datetime.now(UTC), limit.per_seconds).start
    return sum(store.counts(shards.counters(start)))


def load_rows(summary: dict[str, Any], met: Callable[[bool], str]) -> list[str]:
    """The table rows of the flood and the steady load."""
    flood, steady = summary["flood"], summary["steady"]
    served = flood["statuses"].get(200, 0)
    others = {s: n for s, n in flood["statuses"].items() if s not in (200, 429)}
    tokens = steady["statuses"].get(200, 0)
    return [
        (
            f"| flood: {INSTANCES} instances, {FLOOD_CLIENTS} clients, per_profile"
            f" {flood['limit']}: served / limit in {flood['seconds']:.1f} s (other answers:"
            f" {others or 'none'})"
            f" | **{served}** / {flood['limit']} | n/a | = limit once drained |"
            f" {met(served == flood['limit'])} |"
        ),
        _given_back_row("flood", flood, served, met),
        (
            f"| flood: writes on the busiest document, peak in one second / sustained (10 s) /"
            f" refused by the harness; round trips per token | {flood['peak']} /"
            f" **{flood['sustained']:.1f}** / {flood['refused_writes']};"
            f" {flood['round_trips'] / max(served, 1):.3f} | n/a | ≤ 1/s sustained |"
            f" {met(flood['sustained'] <= 1.0)} |"
        ),
        (
            f"| steady: {INSTANCES} instances, {STEADY_CLIENTS} clients, both limits: tokens/s;"
            f" writes on the busiest document, peak / sustained; round trips per token |"
            f" {tokens / steady['seconds']:.0f}/s; {steady['peak']} /"
            f" **{steady['sustained']:.1f}**; {steady['round_trips'] / max(tokens, 1):.3f}"
            f" | n/a | ≤ 1/s sustained | {met(steady['sustained'] <= 1.0)} |"
        ),
        _given_back_row("steady", steady, tokens, met),
    ]


def _given_back_row(name: str, run: dict[str, Any], served: int, met: Callable[[bool], str]) -> str:
    """Counted at the end, given back at SIGTERM, and counted after, against served."""
    before, after = run["counted_before_stop"], run["counted_after_stop"]
    return (
        f"| {name}: shards' count at the end / given back at SIGTERM / count after, vs."
        f" {served} served | {before} / **{before - after}** / {after} | n/a |"
        f" after ≥ served | {met(after >= served)} |"
    )
