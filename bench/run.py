"""``make bench``: tokenvend against the naive google-genai function, on loopback.

Both functions run under functions-framework's production server (gunicorn with
threads) against the same Gemini and Secret Manager fakes, which run in a process of
their own. Prints a markdown table, writes it to bench/results/bench.md with the raw
numbers beside it (bench.json), and draws bench.png from them in .venv-bench.

    python -m bench.run [--quick] [--cold-runs 9] [--warm-requests 2000] [--seconds 5]

The CPU-per-token table (``bench/cpu.py``) comes from the same run: tokenvend beside an
empty function and the urllib3 forwarding floor, interleaved over several rounds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import urllib3

from bench.common import (
    BODY,
    HEADERS,
    ROOT,
    Fakes,
    Function,
    first_token,
    percentile,
    start_function,
)
from bench.cpu import cpu_per_token, cpu_rows, summarize_cpu
from bench.quotas import quota_costs, quota_rows, summarize_quotas
from tokenvend.gemini.request import auth_tokens_url

RESULTS = ROOT / "bench" / "results"
KINDS = ("tokenvend", "naive")
CONCURRENCY = (1, 8, 32)
EXPIRY_BURST = 50
SHORT_TTL_SECONDS = 2

# Targets from issue 6 (this machine, ratios measured in one run).
COLD_RATIO_TARGET = 0.5
OVERHEAD_P50_TARGET_MS = 1.0
OVERHEAD_P99_TARGET_MS = 3.0
PEAK_RSS_TARGET_MB = 70.0


def post(pool: urllib3.PoolManager, url: str) -> int:
    response = pool.request("POST", url, body=BODY, headers=HEADERS, retries=False)
    return response.status


def cold_start(fakes: Fakes, runs: int) -> dict[str, list[float]]:
    """Spawn → first token, interleaved A B A B after one untimed run of each."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for round_number in range(runs + 1):
        for kind in KINDS:
            function = start_function(kind, fakes)
            try:
                seconds = first_token(function)
            finally:
                function.stop()
            if round_number:  # the first round only warms the page cache and .pyc files
                times[kind].append(seconds * 1000)
        done = ", ".join(f"{kind} {ms[-1]:.0f} ms" for kind, ms in times.items() if ms)
        print(f"  cold start round {round_number}/{runs}: {done}", flush=True)
    return times


def warm_latency(function: Function, gemini_url: str, requests: int) -> dict[str, list[float]]:
    """One client, keep-alive: the function and the fake called directly, alternately."""
    pool = urllib3.PoolManager(maxsize=2)
    direct = auth_tokens_url(gemini_url, "v1alpha")
    for _ in range(200):
        post(pool, function.url)
        post(pool, direct)
    samples: dict[str, list[float]] = {"function": [], "direct": []}
    for _ in range(requests):
        for name, url in (("function", function.url), ("direct", direct)):
            started = time.perf_counter()
            status = post(pool, url)
            samples[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{name} answered {status}")
    return samples


def throughput(url: str, clients: int, seconds: float) -> dict[str, float]:
    """Requests per second with ``clients`` threads, each with a keep-alive connection."""
    counts = [0] * clients
    failures = [0] * clients
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        pool = urllib3.PoolManager(maxsize=1)
        post(pool, url)
        barrier.wait()
        while not stop.is_set():
            try:
                ok = post(pool, url) == 200
            except urllib3.exceptions.HTTPError:
                ok = False
            if ok:
                counts[index] += 1
            else:
                failures[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"rps": sum(counts) / elapsed, "failures": float(sum(failures))}


def burst(url: str, clients: int) -> list[int]:
    """``clients`` requests released at the same instant; their statuses."""
    barrier = threading.Barrier(clients)
    statuses = [0] * clients
    pools = [urllib3.PoolManager(maxsize=1) for _ in range(clients)]

    def client(index: int) -> None:
        barrier.wait()
        statuses[index] = post(pools[index], url)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def secret_manager_calls(fakes: Fakes, seconds: float) -> dict[str, Any]:
    """Secret Manager calls per 1000 tokens, and for a burst when the key has just expired."""
    result: dict[str, Any] = {}
    pool = urllib3.PoolManager(maxsize=8)
    for kind in KINDS:
        fakes.reset()
        function = start_function(kind, fakes)
        try:
            first_token(function)
            for _ in range(999):
                post(pool, function.url)
            result[f"{kind}_per_1000"] = fakes.stats()["secret_manager_calls"]
        finally:
            function.stop()
    # The cached key expires every SHORT_TTL_SECONDS; 50 requests arrive just after expiry.
    function = start_function(
        "tokenvend", fakes, {"TOKENVEND_API_KEY_TTL_SECONDS": str(SHORT_TTL_SECONDS)}
    )
    try:
        first_token(function)
        bursts = []
        for _ in range(3):
            time.sleep(SHORT_TTL_SECONDS + 0.2)
            fakes.reset()
            statuses = burst(function.url, EXPIRY_BURST)
            bursts.append(
                {
                    "calls": fakes.stats()["secret_manager_calls"],
                    "ok": sum(status == 200 for status in statuses),
                }
            )
        result["expiry_bursts"] = bursts
        # Sustained: one call per TTL window while 8 clients keep asking.
        fakes.reset()
        started = time.perf_counter()
        sustained = throughput(function.url, 8, seconds)
        elapsed = time.perf_counter() - started
        stats = fakes.stats()
        result["short_ttl"] = {
            "seconds": elapsed,
            "ttl_windows": elapsed / SHORT_TTL_SECONDS,
            "calls": stats["secret_manager_calls"],
            "tokens": stats["gemini_requests"],
            "failures": sustained["failures"],
        }
    finally:
        function.stop()
    return result


def serve_and_measure(
    kind: str, fakes: Fakes, warm_requests: int, seconds: float
) -> dict[str, Any]:
    function = start_function(kind, fakes)
    try:
        first_token(function)
        samples = warm_latency(function, fakes.urls["gemini"], warm_requests)
        rates = {}
        for clients in CONCURRENCY:
            rates[str(clients)] = throughput(function.url, clients, seconds)
            print(f"  {kind}: {clients} clients {rates[str(clients)]['rps']:.0f} req/s", flush=True)
        worker = function.worker_pid()
        return {
            "warm_function_ms": samples["function"],
            "warm_direct_ms": samples["direct"],
            "throughput": rates,
            "peak_rss_kb": function.memory_kb("VmHWM", worker),
            "arbiter_peak_rss_kb": function.memory_kb("VmHWM", function.process.pid),
        }
    finally:
        function.stop()


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    cold = raw["cold_start_ms"]
    ratios = [a / b for a, b in zip(cold["tokenvend"], cold["naive"], strict=True)]
    summary: dict[str, Any] = {
        "cold_median": {kind: statistics.median(cold[kind]) for kind in KINDS},
        "cold_ratios": ratios,
        "cold_ratio_median": statistics.median(ratios),
        "quotas": summarize_quotas(raw["quotas"]),
        "cpu": summarize_cpu(raw["cpu"]),
    }
    for kind in KINDS:
        served = raw[kind]
        function, direct = served["warm_function_ms"], served["warm_direct_ms"]
        summary[kind] = {
            "p50": percentile(function, 0.5),
            "p99": percentile(function, 0.99),
            "direct_p50": percentile(direct, 0.5),
            "direct_p99": percentile(direct, 0.99),
            "overhead_p50": percentile(function, 0.5) - percentile(direct, 0.5),
            "overhead_p99": percentile(function, 0.99) - percentile(direct, 0.99),
            "rps": {c: served["throughput"][str(c)]["rps"] for c in CONCURRENCY},
            "failures": sum(v["failures"] for v in served["throughput"].values()),
            "peak_rss_mb": served["peak_rss_kb"] / 1024,
        }
    return summary


def table(raw: dict[str, Any], summary: dict[str, Any]) -> str:
    tv, nv = summary["tokenvend"], summary["naive"]
    cold = summary["cold_median"]
    sm = raw["secret_manager"]
    ratio = summary["cold_ratio_median"]
    n = len(raw["cold_start_ms"]["tokenvend"])

    def check(ok: bool) -> str:
        return "yes" if ok else "**no**"

    bursts = sm["expiry_bursts"]
    burst_calls = "/".join(str(b["calls"]) for b in bursts)
    burst_ok = all(b["calls"] == 1 and b["ok"] == EXPIRY_BURST for b in bursts)
    short = sm["short_ttl"]
    rows = [
        ("| metric | tokenvend | naive (google-genai) | target | met |"),
        ("|---|---:|---:|---|---|"),
        (
            f"| cold start, spawn → first token (median of {n}, ms) | {cold['tokenvend']:.0f} | "
            f"{cold['naive']:.0f} | | |"
        ),
        (
            f"| cold start ratio (median of per-pair ratios; range) | **{ratio:.2f}×** "
            f"({min(summary['cold_ratios']):.2f}–{max(summary['cold_ratios']):.2f}) | 1.00× | "
            f"≤ {COLD_RATIO_TARGET}× | {check(ratio <= COLD_RATIO_TARGET)} |"
        ),
        (
            f"| warm latency p50 / p99 (ms) | {tv['p50']:.2f} / {tv['p99']:.2f} | "
            f"{nv['p50']:.2f} / {nv['p99']:.2f} | | |"
        ),
        (
            f"| fake Gemini called directly, p50 / p99 (ms) | {tv['direct_p50']:.2f} / "
            f"{tv['direct_p99']:.2f} | {nv['direct_p50']:.2f} / {nv['direct_p99']:.2f} | | |"
        ),
        (
            f"| warm overhead over direct, p50 (ms) | **{tv['overhead_p50']:.2f}** | "
            f"{nv['overhead_p50']:.2f} | ≤ {OVERHEAD_P50_TARGET_MS:g} | "
            f"{check(tv['overhead_p50'] <= OVERHEAD_P50_TARGET_MS)} |"
        ),
        (
            f"| warm overhead over direct, p99 (ms) | **{tv['overhead_p99']:.2f}** | "
            f"{nv['overhead_p99']:.2f} | ≤ {OVERHEAD_P99_TARGET_MS:g} | "
            f"{check(tv['overhead_p99'] <= OVERHEAD_P99_TARGET_MS)} |"
        ),
    ]
    for clients in CONCURRENCY:
        rows.append(
            f"| throughput, {clients} client{'s' if clients > 1 else ''} (req/s) | "
            f"{tv['rps'][clients]:.0f} | {nv['rps'][clients]:.0f} | | |"
        )
    rows += [
        (
            f"| failed requests (all throughput runs) | {tv['failures']:.0f} | "
            f"{nv['failures']:.0f} | 0 | {check(tv['failures'] == 0)} |"
        ),
        (
            f"| peak RSS of the serving process (MB) | **{tv['peak_rss_mb']:.1f}** | "
            f"{nv['peak_rss_mb']:.1f} | ≤ {PEAK_RSS_TARGET_MB:g} | "
            f"{check(tv['peak_rss_mb'] <= PEAK_RSS_TARGET_MB)} |"
        ),
        (
            f"| Secret Manager calls per 1000 tokens (default TTL 600 s) | "
            f"{sm['tokenvend_per_1000']} | {sm['naive_per_1000']} | 1 per TTL | "
            f"{check(sm['tokenvend_per_1000'] == 1)} |"
        ),
        (
            f"| Secret Manager calls, {EXPIRY_BURST} requests just after the key expired "
            f"(3 bursts) | **{burst_calls}** | n/a | 1 each | {check(burst_ok)} |"
        ),
        (
            f"| Secret Manager calls, 8 clients for {short['seconds']:.1f} s with a "
            f"{SHORT_TTL_SECONDS} s TTL ({short['tokens']} tokens) | {short['calls']} | n/a | "
            f"≤ {int(short['ttl_windows']) + 1} | "
            f"{check(short['calls'] <= int(short['ttl_windows']) + 1)} |"
        ),
    ]
    rows += quota_rows(summary["quotas"])
    pairs = ", ".join(f"{r:.2f}" for r in summary["cold_ratios"])
    rows.append(f"\nCold-start ratio of each interleaved pair (tokenvend ÷ naive): {pairs}.\n")
    rows += cpu_rows(summary["cpu"], len(raw["cpu"]["samples"]["floor"]["8"]))
    return "\n".join(rows)


def rounded(value: Any) -> Any:
    """Samples to the microsecond: keeps bench.json small enough to commit."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def machine() -> str:
    cpus = len(__import__("os").sched_getaffinity(0))
    return f"Python {platform.python_version()}, {cpus} CPUs, {platform.machine()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--warm-requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput level")
    parser.add_argument(
        "--quota-requests", type=int, default=1000, help="tokens per quota measurement"
    )
    parser.add_argument("--cpu-rounds", type=int, default=5, help="interleaved CPU rounds")
    parser.add_argument(
        "--cpu-seconds", type=float, default=3.0, help="per function and client count"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer and shorter runs: a few minutes, noisier"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.cold_runs, args.warm_requests, args.seconds = 5, 300, 1.0
        args.quota_requests, args.cpu_rounds, args.cpu_seconds = 200, 3, 1.5
    if args.cold_runs < 5:
        parser.error("--cold-runs must be at least 5")
    args.out.mkdir(parents=True, exist_ok=True)
    fakes = Fakes.start()
    raw: dict[str, Any] = {
        "machine": machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    try:
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("cold_start_ms", lambda: cold_start(fakes, args.cold_runs)),
            ("cpu", lambda: cpu_per_token(fakes, args.cpu_rounds, args.cpu_seconds)),
            *[
                (kind, partial(serve_and_measure, kind, fakes, args.warm_requests, args.seconds))
                for kind in KINDS
            ],
            ("secret_manager", lambda: secret_manager_calls(fakes, args.seconds)),
            (
                "quotas",
                lambda: quota_costs(
                    fakes, args.quota_requests, max(2, args.cpu_rounds - 2), args.cpu_seconds
                ),
            ),
        ]
        for name, step in steps:
            print(f"bench: {name} …", flush=True)
            raw[name] = step()
    finally:
        fakes.stop()
    summary = summarize(raw)
    markdown = table(raw, summary)
    header = (
        f"tokenvend `make bench`, {raw['date']}, {raw['machine']}; both functions under "
        f"functions-framework's gunicorn, fakes on loopback.\n\n"
    )
    (args.out / "bench.md").write_text(header + markdown + "\n")
    (args.out / "bench.json").write_text(
        json.dumps({"raw": rounded(raw), "summary": summary}) + "\n"
    )
    print()
    print(header + markdown)
    chart_python = ROOT / ".venv-bench" / "bin" / "python"
    if chart_python.exists():
        subprocess.run(  # noqa: S603 - fixed paths inside the repository
            [
                str(chart_python),
                str(ROOT / "bench" / "chart.py"),
                str(args.out / "bench.json"),
                str(args.out / "bench.png"),
            ],
            check=True,
        )
        print(f"\nwrote {args.out / 'bench.md'} and {args.out / 'bench.png'}")
    else:
        print(f"\nwrote {args.out / 'bench.md'} (no .venv-bench: chart skipped)")


if __name__ == "__main__":
    main()
