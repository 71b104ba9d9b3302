"""Command line: ``python -m tokenvend validate [PATH ...]``.

With no paths, checks every policy in ``policies/``; a folder means every ``*.yaml``
in it. Prints each file's verdict and exits 1 when any file is invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tokenvend.errors import PolicyError
from tokenvend.instance import DEFAULT_POLICY_DIR
from tokenvend.policy import load_policy, policy_files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tokenvend")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check policy files against the schema")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: policies/)"
    )
    arguments = parser.parse_args(argv)
    return run_validate(arguments.paths or [DEFAULT_POLICY_DIR])


def run_validate(paths: Sequence[Path]) -> int:
    files = [file for path in paths for file in (policy_files(path) if path.is_dir() else [path])]
    if not files:
        print(f"no policy files found in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    failed = 0
    for file in files:
        try:
            load_policy(file)
        except PolicyError as error:
            failed += 1
            print(error, file=sys.stderr)
        else:
            print(f"{file}: ok")
    print(
        f"{len(files) - failed} valid, {failed} invalid", file=sys.stderr if failed else sys.stdout
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
