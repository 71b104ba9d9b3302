"""Runs the test suite's Gemini and Secret Manager fakes in a process of their own.

The bench and the load test keep the fakes out of the measured processes: the function
under test, the fakes and the load client each get their own interpreter. A small
control server reports and resets counters. Prints one JSON line with the three URLs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.gemini import FakeGemini
from tests.fakes.secret_manager import FakeSecretManager

SECRET = "projects/bench/secrets/gemini-api-key"  # noqa: S105 - a name, not a secret
API_KEY = "AIzaSyBENCH-fake-key-0123456789abcdefghij"


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    # Counts only: lists of every request and token would grow through a long load run.
    gemini = FakeGemini(record_requests=False).start()
    secrets = FakeSecretManager()
    secrets.add_version(SECRET, API_KEY.encode())
    secrets.start()

    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(
                {"secret_manager_calls": secrets.calls, "gemini_requests": gemini.request_count}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            secrets.calls = 0
            gemini.request_count = 0
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    control.daemon_threads = True
    port = control.server_address[1]
    urls = {
        "gemini": gemini.url,
        "secret_manager": secrets.url,
        "control": f"http://127.0.0.1:{port}",
        "secret": SECRET,
        "api_key": API_KEY,
    }
    print(json.dumps(urls), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        control.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
