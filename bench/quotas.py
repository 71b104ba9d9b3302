"""What quotas cost per token, against the real Firestore emulator on loopback.

Four functions serve the same fakes: the shipped ``voice-assistant`` profile, and the
same profile with a ``per_caller`` limit only, a ``per_profile`` limit only, and both
(all far out of reach). One client alternates between them, each request from another
caller address; the difference of their latencies is what counting adds. A second run
goes through the harness that models production (``tests/quotas/write_rate.py``: a
proxy in front of the emulator that counts every call, every write per document per
second, and answers ABORTED when a document is written faster than Firestore sustains)
and counts the round trips of each request, one request at a time. The emulator is
slower than Firestore's servers and shares the cores with everything else, so the added
latency here is an upper bound of the CPU cost and says nothing about the network
distance to a real database. ``bench/quota_load.py`` adds the flood and the steady load.

    python -m bench.quotas [--requests 1000]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

from bench.common import BODY, HEADERS, ROOT, Fakes, first_token, percentile, start_function
from bench.cpu import quota_cpu, quota_cpu_row, summarize_quota_cpu
from tests.quotas.emulator import FirestoreEmulator, missing_reason
from tests.quotas.write_rate import WriteRateProxy

PLAIN = "voice-assistant"
LIMITS = {
    "caller": "  per_caller: {tokens: 1000000000, per_seconds: 86400}\n",
    "profile": "  per_profile: {tokens: 1000000000, per_seconds: 86400}\n",
    "both": (
        "  per_caller: {tokens: 1000000000, per_seconds: 86400}\n"
        "  per_profile: {tokens: 1000000000, per_seconds: 86400}\n"
    ),
}
SCOPES = tuple(LIMITS)
WARM_UP = 300
CALLERS = 5000


def quota_policy(folder: Path, name: str, quotas: str) -> None:
    """voice-assistant with ``quotas`` (YAML lines under ``quotas:``), as ``name``."""
    text = (ROOT / "policies" / "voice-assistant.yaml").read_text(encoding="utf-8")
    (folder / f"{name}.yaml").write_text(
        text.replace("deploy:", f"quotas:\n{quotas}deploy:"), encoding="utf-8"
    )


@dataclass
class Rig:
    """The emulator, the production-like proxy in front of it, and the policies."""

    emulator: FirestoreEmulator
    proxy: WriteRateProxy
    folder: Path

    def environment(self, profile: str, *, through_proxy: bool) -> dict[str, str]:
        return {
            "TOKENVEND_PROFILE": profile,
            "TOKENVEND_POLICY_DIR": str(self.folder),
            "FIRESTORE_EMULATOR_HOST": self.proxy.host if through_proxy else self.emulator.host,
            # A project per run: fresh documents, whatever ran before.
            "GOOGLE_CLOUD_PROJECT": f"bench-{uuid.uuid4().hex[:8]}",
        }


@contextmanager
def rig() -> Iterator[Rig]:
    folder = Path(tempfile.mkdtemp(prefix="bench-quotas-"))
    (folder / f"{PLAIN}.yaml").write_text(
        (ROOT / "policies" / f"{PLAIN}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for scope, quotas in LIMITS.items():
        quota_policy(folder, f"bench-{scope}", quotas)
    emulator = FirestoreEmulator()
    try:
        emulator.wait_until_ready()
        with WriteRateProxy(emulator.host, rate_per_second=1.0, burst=5) as proxy:
            yield Rig(emulator, proxy, folder)
    finally:
        emulator.stop()


def headers(n: int) -> dict[str, str]:
    """A request from the n-th of CALLERS addresses: each caller asks a few tokens."""
    return {**HEADERS, "X-Forwarded-For": f"198.18.{n // 250 % 20}.{n % 250}"}


_callers = itertools.count()


def caller_headers() -> dict[str, str]:
    """The next caller's request, for many clients at once."""
    return headers(next(_callers))


def quota_costs(
    fakes: Fakes, requests: int, cpu_rounds: int = 3, cpu_seconds: float = 3.0
) -> dict[str, Any]:
    """Added latency, CPU and round trips per token, for each scope; ``skipped`` without
    emulator."""
    reason = missing_reason()
    if reason:
        return {"skipped": reason}
    from bench.quota_load import flood, steady

    with rig() as ready:
        # First: it warms the emulator up itself, and the others then run on a warm one.
        cpu = quota_cpu(
            fakes,
            lambda name: ready.environment(name, through_proxy=False),
            (PLAIN, "bench-both"),
            caller_headers,
            cpu_rounds,
            cpu_seconds,
        )
        latency = _latency(fakes, ready, requests)
        trips = {scope: _round_trips(fakes, ready, scope, requests) for scope in SCOPES}
        load = {"flood": flood(fakes, ready), "steady": steady(fakes, ready)}
    return {"latency_ms": latency, "round_trips": trips, "cpu": cpu, **load}


def _latency(fakes: Fakes, ready: Rig, requests: int) -> dict[str, list[float]]:
    names = [PLAIN, *(f"bench-{scope}" for scope in SCOPES)]
    functions = {
        name: start_function("tokenvend", fakes, ready.environment(name, through_proxy=False))
        for name in names
    }
    try:
        for function in functions.values():
            first_token(function)
        pool = urllib3.PoolManager(maxsize=len(functions))
        samples: dict[str, list[float]] = {name: [] for name in names}
        for n in range(requests + WARM_UP):  # the first rounds warm up the emulator
            for name, function in functions.items():
                started = time.perf_counter()
                response = pool.request("POST", function.url, body=BODY, headers=headers(n))
                if response.status != 200:
                    raise RuntimeError(f"{name} answered {response.status}")
                if n >= WARM_UP:
                    samples[name].append((time.perf_counter() - started) * 1000)
    finally:
        for function in functions.values():
            function.stop()
    return samples


def _round_trips(fakes: Fakes, ready: Rig, scope: str, requests: int) -> list[int]:
    """Firestore calls of each request, one request at a time through the harness."""
    environment = ready.environment(f"bench-{scope}", through_proxy=True)
    function = start_function("tokenvend", fakes, environment)
    try:
        first_token(function)
        pool = urllib3.PoolManager(maxsize=1)
        trips = []
        for n in range(requests):
            before = sum(ready.proxy.calls.values())
            response = pool.request("POST", function.url, body=BODY, headers=headers(n))
            if response.status != 200:
                raise RuntimeError(f"bench-{scope} answered {response.status}")
            trips.append(sum(ready.proxy.calls.values()) - before)
    finally:
        function.stop()
    return trips


def summarize_quotas(raw: dict[str, Any]) -> dict[str, Any]:
    if "skipped" in raw:
        return raw
    latency = raw["latency_ms"]
    plain = latency[PLAIN]
    summary: dict[str, Any] = {
        "flood": raw["flood"],
        "steady": raw["steady"],
        "cpu": summarize_quota_cpu(raw["cpu"]),
        "cpu_rounds": len(raw["cpu"]["samples"][PLAIN]),
    }
    for scope in SCOPES:
        counted, trips = latency[f"bench-{scope}"], raw["round_trips"][scope]
        summary[scope] = {
            "added_p50": percentile(counted, 0.5) - percentile(plain, 0.5),
            "added_p99": percentile(counted, 0.99) - percentile(plain, 0.99),
            "trips_mean": sum(trips) / len(trips),
            "trips_p50": percentile([float(t) for t in trips], 0.5),
            "trips_max": max(trips),
        }
    return summary


def quota_rows(summary: dict[str, Any]) -> list[str]:
    if "skipped" in summary:
        return [f"| quotas against the Firestore emulator | skipped: {summary['skipped']} | | | |"]
    from bench.quota_load import load_rows

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    rows = []
    for scope, words in (("caller", "per caller only"), ("profile", "per profile only")):
        rows.append(_scope_rows(summary[scope], words, met))
    rows.append(_scope_rows(summary["both"], "both limits", met))
    cpu = [quota_cpu_row(summary["cpu"], summary["cpu_rounds"])]
    return [row for pair in rows for row in pair] + cpu + load_rows(summary, met)


def _scope_rows(costs: dict[str, Any], words: str, met: Any) -> list[str]:
    trips, p50 = costs["trips_mean"], costs["trips_p50"]
    if words == "per profile only":
        target, ok = "mean ≤ 0.1", trips <= 0.1
    else:
        target, ok = "p50 ≤ 1", p50 <= 1
    return [
        (
            f"| quotas, {words}: Firestore round trips per token, mean (p50 / max of one "
            f"request) | **{trips:.3f}** ({p50:.0f} / {costs['trips_max']}) "
            f"| n/a | {target} | {met(ok)} |"
        ),
        (
            f"| quotas, {words}: added latency per token vs. no quotas, p50 / p99 (ms, "
            f"emulator) | **{costs['added_p50']:.2f}** / {costs['added_p99']:.2f} | n/a | | |"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="tokens per measurement")
    args = parser.parse_args()
    fakes = Fakes.start()
    try:
        summary = summarize_quotas(quota_costs(fakes, args.requests))
    finally:
        fakes.stop()
    print("| metric | tokenvend | naive (google-genai) | target | met |")
    print("|---|---:|---:|---|---|")
    print("\n".join(quota_rows(summary)))


if __name__ == "__main__":
    main()
