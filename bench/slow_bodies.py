"""``make slow-bodies``: bodies that trickle in from an allowed origin, against a real process.

One functions-framework process (gunicorn, ``THREADS`` worker threads) serves the
default profile with the fakes behind it. For ``--seconds``, ``--slow`` clients on an
allowed origin each declare a body of ``--declared`` bytes and send it one byte per
second, opening a new connection whenever one ends; meanwhile one good client asks for
a token every 100 ms. The table says how long each slow connection held the server
(until the answer, and until the server closed it) and what the good client saw.
``--tree`` runs another checkout (to compare before/after). Traffic goes to 127.0.0.1
only; every connection gives up after 30 s.

    python -m bench.slow_bodies [--slow 16] [--threads 16] [--declared 1000] [--seconds 10]
        [--tree PATH] [--port PORT]
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ORIGIN, ROOT, Fakes, first_token, percentile, start_function

GIVE_UP_SECONDS = 30.0
GOOD_TIMEOUT_SECONDS = 10.0


@dataclass
class Slow:
    status: str = "no answer"
    answer_seconds: float | None = None
    closed_seconds: float = 0.0
    sent_bytes: int = 0


def slow_client(port: int, declared: int, result: Slow) -> None:
    """Declares ``declared`` bytes, sends one a second, until answered and closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_SECONDS) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n".encode()
        )
        started = time.monotonic()
        answered = threading.Event()

        def read() -> None:
            received = b""
            try:
                while data := sock.recv(4096):
                    if not received:
                        result.answer_seconds = time.monotonic() - started
                        answered.set()
                    received += data
            except OSError:
                pass
            result.closed_seconds = time.monotonic() - started
            if received.startswith(b"HTTP/1.1 "):
                result.status = received.split()[1].decode()
            answered.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        while result.sent_bytes < declared and not answered.wait(1.0):  # paces the trickle
            try:
                sock.sendall(b" ")
            except OSError:
                break
            result.sent_bytes += 1
        reader.join(GIVE_UP_SECONDS)


def slow_clients_loop(port: int, declared: int, stop: threading.Event, results: list[Slow]) -> None:
    while not stop.is_set():
        result = Slow()
        try:
            slow_client(port, declared, result)
        except OSError:
            result.status = "connect failed"
        results.append(result)


def good_client(
    port: int, stop: threading.Event, latencies: list[float], failures: list[str]
) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            with socket.create_connection(
                ("127.0.0.1", port), timeout=GOOD_TIMEOUT_SECONDS
            ) as sock:
                sock.sendall(
                    f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 2\r\n"
                    "Connection: close\r\n\r\n{}".encode()
                )
                head = sock.recv(4096)
            if head.startswith(b"HTTP/1.1 200"):
                latencies.append(time.monotonic() - started)
            else:
                failures.append(head[:20].decode(errors="replace") or "closed")
        except OSError as error:
            failures.append(type(error).__name__)
        stop.wait(0.1)  # paces the good client; it synchronises nothing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slow", type=int, default=16)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--declared", type=int, default=1000)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    fakes = Fakes.start()
    function = start_function(
        "tokenvend", fakes, {"THREADS": str(args.threads)}, tree=args.tree, port=args.port
    )
    try:
        first_token(function)
        slow: list[Slow] = []
        latencies: list[float] = []
        failures: list[str] = []
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=slow_clients_loop, args=(function.port, args.declared, stop, slow)
            )
            for _ in range(args.slow)
        ]
        threads.append(
            threading.Thread(target=good_client, args=(function.port, stop, latencies, failures))
        )
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)  # the length of the run
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        function.stop()
        fakes.stop()
        function.log_path.unlink()
    print(f"tree: {args.tree}, THREADS={args.threads}, for {args.seconds:g} s {args.slow} clients")
    print(f"declaring {args.declared} bytes and sending 1 byte/s from an allowed origin")
    print(f"({len(slow)} slow connections)")
    print()
    print("| slow connections | min | p50 | max |")
    print("|---|---|---|---|")
    answered = [s.answer_seconds for s in slow if s.answer_seconds is not None]
    for label, values in (
        ("seconds to the answer", answered),
        ("seconds until the server closed", [s.closed_seconds for s in slow]),
        ("body bytes sent by then", [float(s.sent_bytes) for s in slow]),
    ):
        if not values:
            print(f"| {label} | - | - | - |")
            continue
        low, middle, high = min(values), percentile(values, 0.5), max(values)
        print(f"| {label} | {low:.1f} | {middle:.1f} | {high:.1f} |")
    statuses = sorted({s.status for s in slow})
    print(f"\nslow clients' answers: {', '.join(statuses)}")
    if latencies:
        p50, worst = percentile(latencies, 0.5) * 1000, max(latencies) * 1000
        print(
            f"good client meanwhile: {len(latencies)} tokens, p50 {p50:.0f} ms, max {worst:.0f} ms"
        )
    print(f"good client failures: {len(failures)} {sorted(set(failures))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
