"""``python -m tokenvend validate``: every policy file's verdict and warnings.

Exits 1 when any file is invalid (with ``--strict``, also when any has warnings, or
when the model catalogue is more than 90 days old on ``today``). A folder means its
``*.yaml`` files, the ones Terraform deploys; a ``*.yml`` file there is named, so it is
not silently left out.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tokenvend.cli.lint import policy_warnings
from tokenvend.errors import PolicyError
from tokenvend.jsonvalues import printable
from tokenvend.policy.catalogue import CATALOGUE_PATH, model_catalogue
from tokenvend.policy.loader import load_policy, policy_files


def run_validate(paths: Sequence[Path], *, today: date, strict: bool = False) -> int:
    """Checks every file of ``paths`` on ``today``; prints verdicts, returns the exit status."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += policy_files(path)
            for skipped in sorted(path.glob("*.yml")):
                name, rename = printable(str(skipped)), printable(skipped.stem + ".yaml")
                print(
                    f"{name}: skipped: policy files end in .yaml (Terraform deploys only "
                    f"those); rename it to {rename}",
                    file=sys.stderr,
                )
        else:
            files.append(path)
    if not files:
        print(f"no policy files found in {printable(', '.join(map(str, paths)))}", file=sys.stderr)
        return 1
    failed = 0
    for file in files:
        name = printable(str(file))  # a file name may hold a line break or an escape
        try:
            warnings = policy_warnings(load_policy(file))
        except PolicyError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        if not warnings:
            print(f"{name}: ok")
            continue
        failed += strict
        out = sys.stderr if strict else sys.stdout
        verdict = "refused (--strict)" if strict else "ok"
        count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        print(f"{name}: {verdict}, {count}", file=out)
        for where, message in warnings:
            print(printable(f"  warning: {where}: {message}"), file=out)
    summary = f"{len(files) - failed} valid, {failed} invalid"
    stale = model_catalogue().staleness(today)
    if stale:
        verdict = "refused (--strict)" if strict else "warning"
        print(f"{CATALOGUE_PATH}: {verdict}: {stale}", file=sys.stderr if strict else sys.stdout)
        summary += ", the model catalogue out of date" + (" (--strict)" if strict else "")
    failed_run = bool(failed) or (stale is not None and strict)
    print(summary, file=sys.stderr if failed_run else sys.stdout)
    return 1 if failed_run else 0
