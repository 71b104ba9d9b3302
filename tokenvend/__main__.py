"""``python -m tokenvend``: the command line (``tokenvend/cli/``)."""

import sys

from tokenvend.cli import main

if __name__ == "__main__":
    sys.exit(main())
