"""The hostile half of ``make load``: clients that send what an attacker would.

Each hostile client loops until told to stop, on a raw socket, from an origin the policy
does not list (so every answer is a 403): half send 32 MiB bodies as fast as the socket
takes them, half trickle a 1 MiB body a byte at a time. Each records how many bytes it
had sent and how long it waited when its answer arrived. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

HUGE_BYTES = 32 * 1024 * 1024
SLOW_BYTES = 1024 * 1024
UNLISTED_ORIGIN = "https://attacker.example"
ANSWER_TIMEOUT_SECONDS = 30.0


@dataclass
class HostileResults:
    statuses: Counter[str] = field(default_factory=Counter)
    answer_ms: list[float] = field(default_factory=list)
    sent_before_answer: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: str, answer_ms: float, sent: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.answer_ms.append(answer_ms)
            self.sent_before_answer.append(sent)


def _one(port: int, total: int, slow: bool) -> tuple[str, float, int]:
    """One refused request; (status or error, ms to the answer, body bytes sent by then)."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_SECONDS) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {UNLISTED_ORIGIN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {total}\r\n\r\n".encode()
        )
        started = time.perf_counter()
        answer: list[bytes] = []

        def read() -> None:
            received = b""
            try:
                while b"\r\n" not in received and (data := sock.recv(4096)):
                    received += data
            except OSError:
                pass
            answer.append(received)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        sent, chunk = 0, b" " * (1 if slow else 65536)
        try:
            while sent < total and not answer:
                sent += sock.send(chunk)
                if slow:
                    time.sleep(0.05)  # paces the trickle; it synchronises nothing
        except OSError:
            pass  # the server closed its side after answering
        reader.join(ANSWER_TIMEOUT_SECONDS)
        elapsed_ms = (time.perf_counter() - started) * 1000
        head = answer[0] if answer else b""
        status = head.split()[1].decode() if head.startswith(b"HTTP/1.1 ") else "no answer"
        return status, elapsed_ms, sent


def start_hostile_clients(
    port: int, count: int, stop: threading.Event, results: HostileResults
) -> list[threading.Thread]:
    """``count`` looping clients, every other one slow; they end when ``stop`` is set."""

    def loop(slow: bool) -> None:
        while not stop.is_set():
            try:
                results.add(*_one(port, SLOW_BYTES if slow else HUGE_BYTES, slow))
            except OSError as error:
                results.add(type(error).__name__, 0.0, 0)

    threads = [
        threading.Thread(target=loop, args=(index % 2 == 1,), daemon=True) for index in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def declared_but_unsent(port: int, origin: str) -> tuple[str, float]:
    """A body declared as 100 MB and never sent: (status, ms until the answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_SECONDS) as sock:
        started = time.perf_counter()
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n".encode()
        )
        try:
            head = sock.recv(4096)
        except OSError:
            head = b""
        elapsed_ms = (time.perf_counter() - started) * 1000
    status = head.split()[1].decode() if head.startswith(b"HTTP/1.1 ") else "no answer"
    return status, elapsed_ms
