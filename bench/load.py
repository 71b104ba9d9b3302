"""``make load``: 50 concurrent clients for 30 s against one real function process.

The function runs under functions-framework's production server (gunicorn with threads)
on 127.0.0.1, with the Secret Manager and Gemini fakes in a process of their own. Beside
the good clients, 16 hostile ones (``bench.hostile``) send refused 32 MiB bodies and
refused bodies that trickle in. Passes when no good request failed, every hostile one
got its 403, the serving process's peak RSS grew by at most 64 MB over the run and its
peak in the last ten seconds is at most 10 % above its peak in the first ten. Traffic
goes to 127.0.0.1 only and is bounded in time and in count.

    python -m bench.load [--clients 50] [--hostile 16] [--seconds 30]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter

import urllib3

from bench.common import (
    BODY,
    HEADERS,
    Fakes,
    Function,
    first_token,
    percentile,
    start_function,
)
from bench.hostile import HostileResults, declared_but_unsent, start_hostile_clients

MAX_REQUESTS = 1_000_000
MAX_GROWTH = 0.10
MAX_PEAK_GROWTH_MB = 64
WINDOW_SECONDS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--hostile", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if args.seconds < 2 * WINDOW_SECONDS:
        parser.error(f"--seconds must be at least {2 * WINDOW_SECONDS:g}")
    fakes = Fakes.start()
    function = start_function("tokenvend", fakes)
    try:
        first_token(function)
        code = run(function, fakes, args.clients, args.seconds, args.hostile)
    finally:
        function.stop()
        fakes.stop()
    log = function.log_path.read_text(encoding="utf-8", errors="replace")
    function.log_path.unlink()
    if fakes.urls["api_key"] in log:
        print("FAIL: the API key appears in the function's log")
        code = 1
    return code


def run(function: Function, fakes: Fakes, clients: int, seconds: float, hostile: int) -> int:
    url, worker = function.url, function.worker_pid()
    peak_before_kb = function.memory_kb("VmHWM", worker)
    unsent = declared_but_unsent(function.port, HEADERS["Origin"])
    hostile_results = HostileResults()
    outcomes: Counter[str] = Counter()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)
    sent = [0]

    def client(index: int) -> None:
        pool = urllib3.PoolManager(maxsize=1)
        barrier.wait()
        while not stop.is_set():
            with lock:
                if sent[0] >= MAX_REQUESTS:
                    return
                sent[0] += 1
            started = time.perf_counter()
            try:
                response = pool.request(
                    "POST", url, body=BODY, headers=HEADERS, retries=False, timeout=10.0
                )
                outcome = str(response.status)
            except urllib3.exceptions.HTTPError as error:
                outcome = type(error).__name__
            latencies[index].append((time.perf_counter() - started) * 1000)
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    samples: list[tuple[float, int]] = []
    barrier.wait()
    hostile_threads = start_hostile_clients(function.port, hostile, stop, hostile_results)
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        samples.append((elapsed, function.memory_kb("VmRSS", worker)))
        time.sleep(0.25)
    stop.set()
    for thread in threads + hostile_threads:
        thread.join(15)
    elapsed = time.perf_counter() - started
    peak_hwm = function.memory_kb("VmHWM", worker)

    first = max(kb for t, kb in samples if t < WINDOW_SECONDS)
    last = max(kb for t, kb in samples if t >= seconds - WINDOW_SECONDS)
    growth = last / first - 1
    total = sum(outcomes.values())
    failed = total - outcomes["200"]
    all_latencies = [ms for per_client in latencies for ms in per_client]
    stats = fakes.stats()
    peak_growth_mb = (peak_hwm - peak_before_kb) / 1024
    refused = hostile_results.statuses
    hostile_total = sum(refused.values())
    ok = (
        failed == 0
        and growth <= MAX_GROWTH
        and total > 0
        and refused["403"] == hostile_total
        and peak_growth_mb <= MAX_PEAK_GROWTH_MB
    )
    print(
        f"make load: {clients} clients for {elapsed:.1f} s against 127.0.0.1 (gunicorn, "
        f"one instance)\n"
    )
    print("| measure | value | pass when |")
    print("|---|---:|---|")
    print(f"| requests | {total} ({total / elapsed:.0f} req/s) | |")
    print(f"| failed requests | {failed} {dict(outcomes) if failed else ''} | 0 |")
    print(
        f"| latency p50 / p99 / max (ms) | {percentile(all_latencies, 0.5):.1f} / "
        f"{percentile(all_latencies, 0.99):.1f} / {max(all_latencies):.1f} | |"
    )
    print(f"| peak RSS, first {WINDOW_SECONDS:g} s (MB) | {first / 1024:.1f} | |")
    print(f"| peak RSS, last {WINDOW_SECONDS:g} s (MB) | {last / 1024:.1f} | |")
    print(
        f"| RSS growth, first → last {WINDOW_SECONDS:g} s | {growth * 100:+.1f} % | "
        f"≤ +{MAX_GROWTH * 100:g} % |"
    )
    print(f"| peak RSS of the serving process (MB) | {peak_hwm / 1024:.1f} | |")
    print(
        f"| peak RSS growth over the run (MB) | {peak_growth_mb:+.1f} | ≤ +{MAX_PEAK_GROWTH_MB} |"
    )
    if hostile:
        answer_ms = hostile_results.answer_ms or [0.0]
        print(
            f"| hostile requests (refused 32 MiB / slow bodies) | {hostile_total} "
            f"{dict(refused)} | all 403 |"
        )
        print(
            f"| hostile: ms to the answer p50 / max | {percentile(answer_ms, 0.5):.1f} / "
            f"{max(answer_ms):.1f} | |"
        )
        print(
            f"| hostile: most body bytes sent before the answer (MB) | "
            f"{max(hostile_results.sent_before_answer or [0]) / 1024 / 1024:.1f} | |"
        )
    print(
        f"| declared 100 MB, sent nothing: status, ms to the answer | {unsent[0]}, "
        f"{unsent[1]:.1f} | |"
    )
    print(f"| Secret Manager calls | {stats['secret_manager_calls']} | |")
    print(f"\n{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
