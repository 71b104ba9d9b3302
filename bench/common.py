"""Shared by the bench and the load test: the fakes process, function processes, a client.

Everything listens on 127.0.0.1. Each process is started in a session of its own and
stopped by its process group id, so nothing outlives the script.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

ROOT = Path(__file__).resolve().parent.parent
TOKENVEND_FF = ROOT / ".venv" / "bin" / "functions-framework"
NAIVE_FF = ROOT / ".venv-naive" / "bin" / "functions-framework"
ORIGIN = "http://localhost:5173"
BODY = b"{}"
# The floor functions (bench/floor/main.py) by kind: their functions-framework targets.
FLOOR_TARGETS = {"empty": "empty", "floor": "forward"}
HEADERS = {"Content-Type": "application/json", "Origin": ORIGIN}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Fakes:
    """The Gemini and Secret Manager fakes, in a process of their own."""

    process: subprocess.Popen[str]
    urls: dict[str, str]

    @classmethod
    def start(cls) -> Fakes:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.fakes"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        return cls(process, urls)

    def stats(self) -> dict[str, int]:
        response = urllib3.request("GET", self.urls["control"])
        result: dict[str, int] = json.loads(response.data)
        return result

    def reset(self) -> None:
        urllib3.request("POST", self.urls["control"])

    def stop(self) -> None:
        stop_group(self.process)


@dataclass
class Function:
    """One functions-framework process (the production server: gunicorn with threads)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    started_at: float
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def worker_pid(self) -> int:
        """gunicorn's worker, the process that serves requests (a child of the arbiter)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split()
        return int(pids[0]) if pids else self.process.pid

    def memory_kb(self, field_name: str = "VmHWM", pid: int | None = None) -> int:
        status = Path(f"/proc/{pid or self.worker_pid()}/status").read_text()
        for line in status.splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field_name} not in /proc status")

    def stop(self) -> None:
        stop_group(self.process)
        if self._log_file:
            self._log_file.close()


def function_environment(kind: str, fakes: Fakes, extra: Mapping[str, str] = {}) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENVEND_", "NAIVE_"))}
    environ.pop("GEMINI_API_KEY", None)
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if kind == "tokenvend":
        environ.update(
            {
                "TOKENVEND_PROFILE": "voice-assistant",
                "TOKENVEND_GEMINI_ENDPOINT": fakes.urls["gemini"],
                "TOKENVEND_API_KEY_SECRET": fakes.urls["secret"],
                "TOKENVEND_SECRET_MANAGER_ENDPOINT": fakes.urls["secret_manager"],
            }
        )
    elif kind in FLOOR_TARGETS:
        environ.update(
            {"FLOOR_GEMINI_ENDPOINT": fakes.urls["gemini"], "FLOOR_API_KEY": fakes.urls["api_key"]}
        )
    else:
        environ.update(
            {
                "NAIVE_GEMINI_ENDPOINT": fakes.urls["gemini"],
                "NAIVE_API_KEY_SECRET": fakes.urls["secret"],
                "NAIVE_SECRET_MANAGER_ENDPOINT": fakes.urls["secret_manager"],
            }
        )
    environ.update(extra)
    return environ


def start_function(
    kind: str,
    fakes: Fakes,
    extra: Mapping[str, str] = {},
    log_dir: Path | None = None,
    tree: Path = ROOT,
    port: int | None = None,
) -> Function:
    """``tree``: another checkout of tokenvend to run instead (before/after comparisons)."""
    port = port or free_port()
    target = "mint_token"
    if kind == "tokenvend":
        command = [str(TOKENVEND_FF), "--source", str(tree / "main.py")]
    elif kind in FLOOR_TARGETS:
        command = [str(TOKENVEND_FF), "--source", str(ROOT / "bench" / "floor" / "main.py")]
        target = FLOOR_TARGETS[kind]
    else:
        command = [str(NAIVE_FF), "--source", str(ROOT / "bench" / "naive" / "main.py")]
    command += ["--target", target, "--host", "127.0.0.1", "--port", str(port)]
    log_path = Path(tempfile.mkstemp(prefix=f"{kind}-", suffix=".log", dir=log_dir)[1])
    log_file = log_path.open("wb")
    started_at = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - fixed paths inside the repository
        command,
        cwd=tree,
        env=function_environment(kind, fakes, extra),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Function(kind, process, port, started_at, log_path, log_file)


def first_token(function: Function, timeout: float = 30.0) -> float:
    """Seconds from spawn to the first 200 (polls every 2 ms until the port answers)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if function.process.poll() is not None:
            raise RuntimeError(f"{function.name} exited: {function.log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", function.port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(
                    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Origin: " + ORIGIN.encode() + b"\r\nContent-Length: 2\r\n"
                    b"Connection: close\r\n\r\n{}"
                )
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
        except OSError:
            time.sleep(0.002)
            continue
        if reply.startswith(b"HTTP/1.1 200") or reply.startswith(b"HTTP/1.0 200"):
            return time.perf_counter() - function.started_at
        raise RuntimeError(f"{function.name} answered {reply[:300]!r}")
    raise TimeoutError(f"{function.name} gave no token within {timeout} s")


def stop_group(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
