"""Exit 1 with a message naming the make variable to change when a local port is taken.

``make run`` and ``make fake-gemini`` call it before starting a server, so a busy port
says what to do instead of ending in a traceback from deep inside gunicorn.
"""

from __future__ import annotations

import socket
import sys


def main(argv: list[str]) -> int:
    port, variable = int(argv[1]), argv[2]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            print(
                f"port {port} on 127.0.0.1 is already in use (another make run or fake?); "
                f"pick another with {variable}={port + 10}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
