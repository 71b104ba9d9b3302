"""Runs the function as a real ``functions-framework`` process on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_FRAMEWORK = Path(sys.executable).parent / "functions-framework"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class FunctionProcess:
    """``functions-framework --target mint_token`` (or another ``target``, with its
    ``signature_type``) with its output collected line by line.

    Readiness is the server's own "listening" line, not a sleep or a poll.
    """

    def __init__(
        self,
        environment: dict[str, str],
        *,
        debug: bool = True,
        target: str = "mint_token",
        signature_type: str = "http",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(FUNCTIONS_FRAMEWORK),
            "--source",
            str(ROOT / "main.py"),
            "--target",
            target,
            f"--signature-type={signature_type}",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if debug:
            command.append("--debug")
        else:
            # gunicorn logs only errors by default; "info" includes its listening line.
            environment = {"GUNICORN_LOG_LEVEL": "info", **environment}
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **environment},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def wait_until_listening(self, timeout_seconds: float = 30.0) -> None:
        while True:
            line = self._queue.get(timeout=timeout_seconds)
            if line is None:
                raise RuntimeError("function exited:\n" + "".join(self.lines))
            if "Running on" in line or "Listening at" in line:
                return

    def wait_for_line(self, text: str, timeout_seconds: float = 30.0) -> str:
        """The first output line that contains ``text``, waiting for it to be written."""
        while not any(text in line for line in self.lines):
            if self._queue.get(timeout=timeout_seconds) is None:
                raise RuntimeError(f"function exited before writing {text!r}")
        return next(line for line in self.lines if text in line)

    def wait_for_lines(
        self, matching: Callable[[str], bool], count: int, timeout_seconds: float = 30.0
    ) -> list[str]:
        """The first ``count`` output lines ``matching`` accepts, waiting for them to be written.

        A response can reach the test before the log line the request wrote has come
        through the pipe and the reader thread; waiting for the lines, not for time,
        makes that order irrelevant.
        """
        while len(found := [line for line in self.lines if matching(line)]) < count:
            if self._queue.get(timeout=timeout_seconds) is None:
                raise RuntimeError(f"function exited after {len(found)} of {count} lines")
        return found[:count]

    def worker_pid(self) -> int:
        """gunicorn's worker process (it serves the requests), from its boot line."""
        marker = "Booting worker with pid: "
        return int(self.wait_for_line(marker).split(marker)[1].split()[0])

    def wait_for_exit(self, timeout_seconds: float = 30.0) -> int:
        return self.process.wait(timeout=timeout_seconds)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> FunctionProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
