"""Google's Firestore emulator, started by the tests themselves on 127.0.0.1.

The emulator ships as the ``google-cloud-cli-firestore-emulator`` package (a Java
program beside gcloud). It runs in a process group of its own, so stopping the group
stops the JVM the launcher script starts. Readiness is its HTTP port answering ``Ok``,
polled, not a guessed sleep.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.process import free_port

PACKAGE = "google-cloud-cli-firestore-emulator"
_RELATIVE = Path("platform/cloud-firestore-emulator/cloud_firestore_emulator")
_DEBIAN_SDK = Path("/usr/lib/google-cloud-sdk")
READY_TIMEOUT_SECONDS = 90.0


def launcher() -> Path | None:
    """The emulator's launcher script, or None when the package is not installed."""
    roots = [_DEBIAN_SDK]
    gcloud = shutil.which("gcloud")
    if gcloud:
        roots.insert(0, Path(gcloud).resolve().parent.parent)
    for root in roots:
        if (root / _RELATIVE).is_file():
            return root / _RELATIVE
    return None


def missing_reason() -> str | None:
    """Why the emulator cannot run here, or None when it can."""
    if launcher() is None:
        return f"the Firestore emulator is not installed (apt package {PACKAGE})"
    if shutil.which("java") is None:
        return f"java is missing, which the Firestore emulator ({PACKAGE}) needs"
    return None


class FirestoreEmulator:
    def __init__(self) -> None:
        script = launcher()
        assert script is not None
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [str(script), "start", "--host=127.0.0.1", f"--port={self.port}"],
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the Firestore emulator exited:\n{self.output}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as answer:
                    if answer.status == 200:
                        self._warm_up()
                        return
            except (urllib.error.URLError, OSError):
                pass
            # Polling the port: the JVM takes seconds to start and says nothing useful.
            time.sleep(0.2)
        raise RuntimeError(f"the Firestore emulator did not start:\n{self.output}")

    def _warm_up(self) -> None:
        # The JVM's first commit takes seconds (class loading); do it here, so that no
        # test's deadline pays for it.
        documents = "projects/warm-up/databases/(default)/documents"
        body = {
            "writes": [
                {
                    "update": {"name": f"{documents}/warm/up", "fields": {}},
                    "updateTransforms": [{"fieldPath": "n", "increment": {"integerValue": "1"}}],
                }
            ]
        }
        request = urllib.request.Request(
            f"http://{self.host}/v1/{documents}:commit",
            data=json.dumps(body).encode(),
            headers={"Authorization": "Bearer owner", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()

    @property
    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode(errors="replace")

    def stop(self) -> None:
        try:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        except ProcessLookupError:
            pass
        self._output.close()
