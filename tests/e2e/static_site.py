"""A static file server for the example page, on an origin of its own.

It serves ``examples/web`` as it is, except ``/config.js``, which the test writes: the
page reads the function URL (and, in the test only, the Live base URL) from there.
"""

from __future__ import annotations

import json
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.fakes.server import LoopbackServer


class StaticSite(LoopbackServer):
    def __init__(self, root: Path, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.root = root
        self.config_js = b"export default {};\n"
        self.paths: list[str] = []

    def serve_config(self, config: dict[str, Any]) -> None:
        """What the page reads from ``/config.js`` from now on."""
        self.config_js = f"export default {json.dumps(config, indent=2)};\n".encode()

    @property
    def origin(self) -> str:
        return self.url


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        site: StaticSite = args[2].fake
        super().__init__(*args, directory=str(site.root), **kwargs)

    @property
    def site(self) -> StaticSite:
        site: StaticSite = self.server.fake  # type: ignore[attr-defined]
        return site

    def setup(self) -> None:
        super().setup()
        self.site.count_connection()

    def do_GET(self) -> None:
        self.site.paths.append(self.path)
        if self.path.partition("?")[0] == "/config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(self.site.config_js)))
            self.end_headers()
            self.wfile.write(self.site.config_js)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass
