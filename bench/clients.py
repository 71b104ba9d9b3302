"""Client CPU per call of the HTTP clients tokenvend could use, for the same POST.

Why ``tokenvend/outbound/`` is a hand-written pool on ``http.client``: the CPU one
call costs the caller, for the outbound pool, a module-level urllib3 ``PoolManager`` and
a ``requests`` session, each on a kept-alive connection to the Gemini fake (a process
of its own, so its CPU is not counted). Rounds alternate between the clients; the
median round and the range are printed.

    python -m bench.clients [--calls 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import requests
import urllib3

from bench.common import Fakes
from tokenvend.outbound import Outbound


def clients(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Callable[[], object]]:
    outbound = Outbound(max_answer_bytes=64 * 1024)
    pool = urllib3.PoolManager(maxsize=4)
    session = requests.Session()
    return {
        "tokenvend outbound (http.client pool)": lambda: outbound.call(
            "POST", url, body=body, headers=headers, deadline=time.monotonic() + 5
        ),
        "urllib3 PoolManager": lambda: pool.request("POST", url, body=body, headers=headers),
        "requests Session": lambda: session.post(url, data=body, headers=headers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000, help="calls per client and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fakes = Fakes.start()
    try:
        url = fakes.urls["gemini"].rstrip("/") + "/v1alpha/auth_tokens"
        body = json.dumps({"uses": 1, "bidiGenerateContentSetup": {"model": "models/x"}})
        headers = {"x-goog-api-key": fakes.urls["api_key"], "Content-Type": "application/json"}
        calls = clients(url, body.encode(), headers)
        for call in calls.values():
            for _ in range(200):
                call()
        micros: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                started = time.process_time()
                for _ in range(args.calls):
                    call()
                micros[name].append((time.process_time() - started) * 1e6 / args.calls)
    finally:
        fakes.stop()
    print("| client | CPU per call, median (range) of rounds (µs) |\n|---|---:|")
    for name, values in micros.items():
        print(f"| {name} | {statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f}) |")


if __name__ == "__main__":
    main()
