"""CPU per token and throughput beside the floor, measured in one interleaved run.

Once an app mints many tokens a second, what a token costs is the CPU of the one
gunicorn worker that serves it (an instance has one vCPU, the worker one GIL). Three
functions serve the same Gemini fake under functions-framework: ``empty`` (answers
without calling anyone), ``floor`` (the smallest function that forwards the same POST
with a module-level urllib3 pool, ``bench/floor/main.py``) and tokenvend. Each round
drives each of them in turn with 8, then 32 keep-alive clients for a few seconds, the
order rotated from round to round, and reads the worker's own CPU time from
``/proc/<pid>/stat`` before and after: CPU per token is that difference over the tokens
served. Ratios are taken within a round (tokenvend ÷ floor), so load from other
processes on the machine moves both sides alike; the spread over rounds says how noisy
the run was. ``quota_cpu`` does the same for the quota path: the same profile with both
limits against the Firestore emulator, beside it without quotas.

    python -m bench.cpu [--rounds 5] [--seconds 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import BODY, HEADERS, Fakes, Function, first_token, start_function

KINDS = ("empty", "floor", "tokenvend")
CLIENTS = (8, 32)
WARM_UP_REQUESTS = 300
# Targets of issue 21: ratios to the floor, measured in the same run.
CPU_RATIO_TARGET = 1.1
THROUGHPUT_RATIO_TARGET = 0.9
QUOTA_ADDED_CPU_TARGET_MS = 1.5
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")

Headers = Callable[[], dict[str, str]]


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process has used, from ``/proc/<pid>/stat``."""
    # The command name (field 2) may hold spaces; the fields after it are plain numbers.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND  # utime, stime


@dataclass(frozen=True)
class Sample:
    """One kind, one client count, one round: tokens served, failures, seconds, worker CPU."""

    tokens: int
    failures: int
    seconds: float
    cpu_seconds: float

    @property
    def cpu_ms_per_token(self) -> float:
        return self.cpu_seconds * 1000 / max(self.tokens, 1)

    @property
    def rps(self) -> float:
        return self.tokens / self.seconds


def drive(function: Function, clients: int, seconds: float, headers: Headers) -> Sample:
    """``clients`` threads, each on one kept-alive connection, for ``seconds``."""
    worker = function.worker_pid()
    served = [0] * clients
    failed = [0] * clients
    stop = threading.Event()
    ready = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", function.port, timeout=30)
        ready.wait()
        while not stop.is_set():
            try:
                connection.request("POST", "/", body=BODY, headers=headers())
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            if ok:
                served[index] += 1
            else:
                failed[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before = cpu_seconds(worker)
    ready.wait()
    started = time.perf_counter()
    time.sleep(seconds)  # the measurement window, not a synchronisation
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Sample(sum(served), sum(failed), elapsed, cpu_seconds(worker) - cpu_before)


def plain_headers() -> dict[str, str]:
    return HEADERS


def warm(function: Function, headers: Headers, requests: int = WARM_UP_REQUESTS) -> None:
    """First token, then ``requests`` more on one connection: pools, caches and .pyc warm."""
    first_token(function)
    connection = http.client.HTTPConnection("127.0.0.1", function.port, timeout=30)
    for _ in range(requests):
        connection.request("POST", "/", body=BODY, headers=headers())
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{function.name} answered {response.status}")
    connection.close()


def cpu_per_token(
    fakes: Fakes, rounds: int, seconds: float, baseline: Path | None = None
) -> dict[str, Any]:
    """Every kind at every client count, ``rounds`` times, interleaved; raw samples.

    ``baseline``: another checkout of tokenvend, measured beside this one (``baseline``).
    """
    functions = {kind: start_function(kind, fakes) for kind in KINDS}
    if baseline is not None:
        functions["baseline"] = start_function("tokenvend", fakes, tree=baseline)
    kinds = tuple(functions)
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {
        kind: {str(clients): [] for clients in CLIENTS} for kind in kinds
    }
    try:
        for function in functions.values():
            warm(function, plain_headers)
        for round_number in range(rounds):
            shift = round_number % len(kinds)
            order = kinds[shift:] + kinds[:shift]
            for kind in order:
                for clients in CLIENTS:
                    sample = drive(functions[kind], clients, seconds, plain_headers)
                    samples[kind][str(clients)].append(asdict(sample))
            line = ", ".join(
                f"{kind} {Sample(**samples[kind]['8'][-1]).cpu_ms_per_token:.2f}" for kind in KINDS
            )
            print(f"  cpu round {round_number + 1}/{rounds} (ms per token, 8 clients): {line}")
    finally:
        for function in functions.values():
            function.stop()
    return {"seconds": seconds, "samples": samples}


def quota_cpu(
    fakes: Fakes,
    environment: Callable[[str], dict[str, str]],
    profiles: tuple[str, str],
    headers: Headers,
    rounds: int,
    seconds: float,
    warm_up_commits: int = 1000,
) -> dict[str, Any]:
    """Worker CPU per token of ``profiles`` (without, with quotas), interleaved.

    ``environment(profile)`` must name a fresh Firestore project on every call: each
    round starts both functions on new documents, since a document slows as its write
    history grows. The emulator itself is warmed first (its first commits are several
    times slower than the rest).
    """
    plain, counted = profiles
    warming = start_function("tokenvend", fakes, environment(counted))
    try:
        warm(warming, headers, warm_up_commits)
    finally:
        warming.stop()
    samples: dict[str, list[dict[str, Any]]] = {plain: [], counted: []}
    for round_number in range(rounds):
        functions = {
            name: start_function("tokenvend", fakes, environment(name)) for name in profiles
        }
        try:
            for function in functions.values():
                warm(function, headers)
            order = profiles if round_number % 2 == 0 else profiles[::-1]
            for name in order:
                samples[name].append(asdict(drive(functions[name], CLIENTS[0], seconds, headers)))
        finally:
            for function in functions.values():
                function.stop()
        added = (
            Sample(**samples[counted][-1]).cpu_ms_per_token
            - Sample(**samples[plain][-1]).cpu_ms_per_token
        )
        print(f"  quota cpu round {round_number + 1}/{rounds}: +{added:.2f} ms per token")
    return {"seconds": seconds, "profiles": list(profiles), "samples": samples}


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize_cpu(raw: dict[str, Any]) -> dict[str, Any]:
    """Medians and ranges over rounds, of each kind and of the per-round ratios to the floor."""
    samples = {
        kind: {clients: [Sample(**s) for s in by_clients] for clients, by_clients in runs.items()}
        for kind, runs in raw["samples"].items()
    }
    summary: dict[str, Any] = {}
    for clients in map(str, CLIENTS):
        floor = samples["floor"][clients]
        level: dict[str, Any] = {}
        for kind in samples:
            mine = samples[kind][clients]
            level[kind] = {
                "cpu_ms": _spread([s.cpu_ms_per_token for s in mine]),
                "rps": _spread([s.rps for s in mine]),
                "failures": sum(s.failures for s in mine),
                "cpu_ratio": _spread(
                    [
                        a.cpu_ms_per_token / b.cpu_ms_per_token
                        for a, b in zip(mine, floor, strict=True)
                    ]
                ),
                "rps_ratio": _spread([a.rps / b.rps for a, b in zip(mine, floor, strict=True)]),
            }
        summary[clients] = level
    return summary


def summarize_quota_cpu(raw: dict[str, Any]) -> dict[str, Any]:
    plain, counted = raw["profiles"]
    pairs = zip(raw["samples"][plain], raw["samples"][counted], strict=True)
    added = [Sample(**b).cpu_ms_per_token - Sample(**a).cpu_ms_per_token for a, b in pairs]
    return {
        "added_cpu_ms": _spread(added),
        "plain_cpu_ms": _spread([Sample(**s).cpu_ms_per_token for s in raw["samples"][plain]]),
        "failures": sum(Sample(**s).failures for s in raw["samples"][counted]),
    }


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _range(spread: dict[str, float], digits: int = 2) -> str:
    return f"{spread['median']:.{digits}f} ({spread['min']:.{digits}f}–{spread['max']:.{digits}f})"


def cpu_rows(summary: dict[str, Any], rounds: int) -> list[str]:
    """Markdown rows: one table of its own (its columns are the three functions)."""
    rows = [
        f"| worker CPU and throughput, median (range) of {rounds} interleaved rounds | empty "
        "function | floor (urllib3 forward) | tokenvend | tokenvend ÷ floor | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for clients in map(str, CLIENTS):
        level = summary[clients]
        tv = level["tokenvend"]
        cpu_ok = tv["cpu_ratio"]["median"] <= CPU_RATIO_TARGET
        rps_ok = tv["rps_ratio"]["median"] >= THROUGHPUT_RATIO_TARGET
        cells = " | ".join(_range(level[kind]["cpu_ms"]) for kind in KINDS)
        rows.append(
            f"| worker CPU per token, {clients} clients (ms) | {cells} | "
            f"**{_range(tv['cpu_ratio'])}** | ≤ {CPU_RATIO_TARGET}× | {_met(cpu_ok)} |"
        )
        cells = " | ".join(_range(level[kind]["rps"], 0) for kind in KINDS)
        rows.append(
            f"| throughput, {clients} keep-alive clients (tokens/s) | {cells} | "
            f"**{_range(tv['rps_ratio'])}** | ≥ {THROUGHPUT_RATIO_TARGET}× | {_met(rps_ok)} |"
        )
    failures = sum(summary[c][kind]["failures"] for c in map(str, CLIENTS) for kind in KINDS)
    rows.append(f"| failed requests (all rounds) | {failures} | | | | 0 | {_met(failures == 0)} |")
    if "baseline" in summary[str(CLIENTS[0])]:
        for clients in map(str, CLIENTS):
            base = summary[clients]["baseline"]
            rows.append(
                f"| baseline checkout, {clients} clients: CPU per token (ms) / tokens/s | | "
                f"| {_range(base['cpu_ms'])} / {_range(base['rps'], 0)} | "
                f"{_range(base['cpu_ratio'])} / {_range(base['rps_ratio'])} | | |"
            )
    return rows


def quota_cpu_row(summary: dict[str, Any], rounds: int) -> str:
    added = summary["added_cpu_ms"]
    ok = added["median"] <= QUOTA_ADDED_CPU_TARGET_MS
    return (
        f"| quotas, both limits: added worker CPU per token vs. the same profile without "
        f"quotas, 8 clients, median (range) of {rounds} rounds (ms; emulator warmed, fresh "
        f"documents per round) | **{_range(added)}** | n/a | ≤ {QUOTA_ADDED_CPU_TARGET_MS} "
        f"| {_met(ok and summary['failures'] == 0)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="per kind and client count")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout of tokenvend to measure beside this one"
    )
    args = parser.parse_args()
    fakes = Fakes.start()
    try:
        raw = cpu_per_token(fakes, args.rounds, args.seconds, args.baseline)
    finally:
        fakes.stop()
    print("\n".join(cpu_rows(summarize_cpu(raw), args.rounds)))


if __name__ == "__main__":
    main()
