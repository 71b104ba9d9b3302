"""What quotas cost per token, against the real Firestore emulator on loopback.

Two functions serve the same fakes: the shipped ``voice-assistant`` profile and the
same profile with a ``quotas`` section (both limits, far out of reach). One client
alternates between them; the difference of their latencies is what counting adds. A
second run goes through a counting proxy in front of the emulator, to count the
Firestore calls per token (the proxy's own hop would distort the latency, so the two
are measured apart). The emulator is slower than Firestore's servers and runs on the
same cores as everything else, so the added latency here is an upper bound of the
CPU cost and says nothing about network distance to a real database.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import urllib3

from bench.common import BODY, HEADERS, ROOT, Fakes, first_token, percentile, start_function
from tests.quotas.emulator import FirestoreEmulator, missing_reason

PROFILE = "bench-quotas"
PROJECT = "bench-tokenvend"
QUOTAS = (
    "quotas:\n"
    "  per_caller: {tokens: 1000000000, per_seconds: 86400}\n"
    "  per_profile: {tokens: 1000000000, per_seconds: 86400}\n"
)


def quota_policy(folder: Path) -> None:
    """voice-assistant with quotas, under another name, in ``folder``."""
    text = (ROOT / "policies" / "voice-assistant.yaml").read_text(encoding="utf-8")
    (folder / "voice-assistant.yaml").write_text(text, encoding="utf-8")
    (folder / f"{PROFILE}.yaml").write_text(
        text.replace("deploy:", QUOTAS + "deploy:"), encoding="utf-8"
    )


class CountingProxy:
    """Forwards every request to the emulator and counts them by method."""

    def __init__(self, upstream: str) -> None:
        self.calls: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def forward(self) -> None:
                proxy.calls[self.command] += 1
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else None
                upstream_connection = http.client.HTTPConnection(upstream, timeout=30)
                upstream_connection.request(self.command, self.path, body, dict(self.headers))
                answer = upstream_connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream_connection.close()

            do_GET = do_POST = do_PATCH = forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def quota_costs(fakes: Fakes, requests: int) -> dict[str, Any]:
    """Added latency and Firestore calls per token; ``skipped`` when no emulator."""
    reason = missing_reason()
    if reason:
        return {"skipped": reason}
    emulator = FirestoreEmulator()
    folder = Path(tempfile.mkdtemp(prefix="bench-quotas-"))
    quota_policy(folder)
    try:
        emulator.wait_until_ready()
        latency = _latency(fakes, folder, emulator.host, requests)
        proxy = CountingProxy(emulator.host)
        try:
            calls = _calls(fakes, folder, proxy, requests)
        finally:
            proxy.stop()
    finally:
        emulator.stop()
    return {**latency, **calls}


def _environment(folder: Path, host: str, profile: str) -> dict[str, str]:
    return {
        "TOKENVEND_PROFILE": profile,
        "TOKENVEND_POLICY_DIR": str(folder),
        "FIRESTORE_EMULATOR_HOST": host,
        "GOOGLE_CLOUD_PROJECT": PROJECT,
    }


def _latency(fakes: Fakes, folder: Path, host: str, requests: int) -> dict[str, Any]:
    plain = start_function("tokenvend", fakes, _environment(folder, host, "voice-assistant"))
    counted = start_function("tokenvend", fakes, _environment(folder, host, PROFILE))
    try:
        first_token(plain)
        first_token(counted)
        pool = urllib3.PoolManager(maxsize=2)
        samples: dict[str, list[float]] = {"plain": [], "quotas": []}
        for round_number in range(requests + 100):
            for name, function in (("plain", plain), ("quotas", counted)):
                started = _now()
                response = pool.request("POST", function.url, body=BODY, headers=HEADERS)
                if response.status != 200:
                    raise RuntimeError(f"{name} answered {response.status}")
                if round_number >= 100:  # the first rounds warm up both and the emulator
                    samples[name].append((_now() - started) * 1000)
    finally:
        plain.stop()
        counted.stop()
    return {"plain_ms": samples["plain"], "quotas_ms": samples["quotas"]}


def _calls(fakes: Fakes, folder: Path, proxy: CountingProxy, requests: int) -> dict[str, Any]:
    function = start_function("tokenvend", fakes, _environment(folder, proxy.host, PROFILE))
    try:
        first_token(function)
        pool = urllib3.PoolManager(maxsize=1)
        before = Counter(proxy.calls)
        started = _now()
        for _ in range(requests):
            pool.request("POST", function.url, body=BODY, headers=HEADERS)
        seconds = _now() - started
        counted = proxy.calls - before
    finally:
        function.stop()
    return {
        "tokens": requests,
        "seconds": seconds,
        "commits": counted["POST"],
        "switch_reads": counted["GET"],
    }


def summarize_quotas(raw: dict[str, Any]) -> dict[str, Any]:
    if "skipped" in raw:
        return raw
    plain, counted = raw["plain_ms"], raw["quotas_ms"]
    return {
        "added_p50": percentile(counted, 0.5) - percentile(plain, 0.5),
        "added_p99": percentile(counted, 0.99) - percentile(plain, 0.99),
        "p50": percentile(counted, 0.5),
        "calls_per_token": (raw["commits"] + raw["switch_reads"]) / raw["tokens"],
        "commits_per_token": raw["commits"] / raw["tokens"],
        "switch_reads": raw["switch_reads"],
        "tokens": raw["tokens"],
        "seconds": raw["seconds"],
    }


def quota_rows(summary: dict[str, Any]) -> list[str]:
    if "skipped" in summary:
        return [f"| quotas against the Firestore emulator | skipped: {summary['skipped']} | | | |"]
    commits = summary["commits_per_token"]
    met = "yes" if commits <= 2 else "**no**"
    return [
        (
            f"| quotas (both limits), added latency per token vs. the same profile without, "
            f"p50 / p99 (ms, Firestore emulator) | **{summary['added_p50']:.2f}** / "
            f"{summary['added_p99']:.2f} | n/a | | |"
        ),
        (
            f"| quotas, Firestore commits per token ({summary['tokens']} tokens in "
            f"{summary['seconds']:.1f} s; plus {summary['switch_reads']} kill-switch reads, "
            f"one per 10 s) | **{commits:.2f}** | n/a | ≤ 2 | {met} |"
        ),
    ]


def _now() -> float:
    return time.perf_counter()
