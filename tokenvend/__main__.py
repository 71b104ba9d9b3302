"""Command line: ``python -m tokenvend validate [--strict] [PATH ...]`` and ``explain``.

``validate`` with no paths checks every policy in the policy folder
(``$TOKENVEND_POLICY_DIR``, default ``policies/``); a folder means every
``*.yaml`` in it. Prints each file's verdict and its warnings, and exits 1 when any file
is invalid (with ``--strict``, also when any has warnings). ``explain PROFILE`` prints
what one policy allows; PROFILE is a profile name in the policy folder or a file path.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tokenvend.errors import PolicyError
from tokenvend.instance import DEFAULT_POLICY_DIR
from tokenvend.policy import load_policy, load_profile, policy_files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tokenvend")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check policy files against the schema")
    validate.add_argument(
        "paths", nargs="*", type=Path,
        help="files or folders (default: $TOKENVEND_POLICY_DIR or policies/)",
    )  # fmt: skip
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    explain = commands.add_parser("explain", help="print what one policy allows")
    explain.add_argument("profile", help="profile name, or path to a policy file")
    explain.add_argument(
        "--policy-dir", type=Path, help="folder of policies (default: $TOKENVEND_POLICY_DIR "
        "or policies/)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    if arguments.command == "explain":
        return run_explain(arguments.profile, arguments.policy_dir or policy_folder())
    return run_validate(arguments.paths or [policy_folder()], strict=arguments.strict)


def policy_folder() -> Path:
    """The folder the function would read: ``$TOKENVEND_POLICY_DIR`` or ``policies/``."""
    return Path(os.environ.get("TOKENVEND_POLICY_DIR") or DEFAULT_POLICY_DIR)


def run_explain(profile: str, folder: Path) -> int:
    # Imported here: validate, which CI runs often, does not need it.
    from tokenvend.explain import explain

    try:
        is_file = profile.endswith(".yaml")
        policy = load_policy(Path(profile)) if is_file else load_profile(folder, profile)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return 1
    print(explain(policy, datetime.now(UTC).replace(microsecond=0)), end="")
    return 0


def run_validate(paths: Sequence[Path], *, strict: bool = False) -> int:
    files = [file for path in paths for file in (policy_files(path) if path.is_dir() else [path])]
    if not files:
        print(f"no policy files found in {', '.join(map(str, paths))}", file=sys.stderr)
        return 1
    from tokenvend.lint import policy_warnings

    failed = 0
    for file in files:
        try:
            warnings = policy_warnings(load_policy(file))
        except PolicyError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        if not warnings:
            print(f"{file}: ok")
            continue
        failed += strict
        verdict = "refused (--strict)" if strict else "ok"
        count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        print(f"{file}: {verdict}, {count}", file=sys.stderr if strict else sys.stdout)
        for path, message in warnings:
            print(f"  warning: {path}: {message}", file=sys.stderr if strict else sys.stdout)
    print(
        f"{len(files) - failed} valid, {failed} invalid", file=sys.stderr if failed else sys.stdout
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
