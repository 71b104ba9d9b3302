"""``make example-web``: serve ``examples/web`` on ``http://localhost:PORT`` and print
that one URL, after checking the profile lets the page's origin mint.

Python's ``http.server`` would print a second address (``127.0.0.1``), an origin the
profile does not list, and the page opened there fails with a CORS refusal. This server
says nothing but the URL to open, and refuses to start when the profile would refuse it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tokenvend.errors import ConfigurationError
from tokenvend.policy.loader import load_profile

ROOT = Path(__file__).resolve().parent.parent


class QuietHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a rebuilt bundle shows at once
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def origin_problem(policy_dir: Path, profile: str, origin: str) -> str | None:
    """Why the profile would refuse ``origin``, or None when it lists it."""
    try:
        allowed = load_profile(policy_dir, profile).access.allowed_origins
    except ConfigurationError as error:
        return str(error)
    if origin in allowed:
        return None
    listed = ", ".join(sorted(allowed)) or "none"
    return (
        f"profile {profile} does not list {origin} in access.allowed_origins "
        f"(it lists: {listed}); pick a listed port with WEB_PORT=..., or add the origin"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--profile", default="voice-assistant")
    parser.add_argument("--policy-dir", type=Path, default=ROOT / "policies")
    parser.add_argument("--directory", type=Path, default=ROOT / "examples" / "web")
    args = parser.parse_args(argv)
    origin = f"http://localhost:{args.port}"
    problem = origin_problem(args.policy_dir, args.profile, origin)
    if problem:
        print(f"make example-web: {problem}", file=sys.stderr)
        return 1
    handler = functools.partial(QuietHandler, directory=str(args.directory))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError:
        print(f"port {args.port} is in use: set WEB_PORT=...", file=sys.stderr)
        return 1
    config = "examples/web/config.js"
    print(f"Open {origin}/  (profile {args.profile}; tokens from the functionUrl in {config})")
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
