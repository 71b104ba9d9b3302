"""``python -m tokenvend settings``: every variable the function reads, and its value.

Printed from the declarations in ``tokenvend/settings.py``, the same ones cold start
parses, so this list cannot drift from the code. Secret values are never printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tokenvend.settings import declared


def describe_settings(environ: Mapping[str, str]) -> str:
    """One paragraph per variable: name, meaning, default, and the value set here."""
    lines = []
    for setting in declared():
        default = setting.default
        if default is None or default == "":
            shown_default = "unset"
        elif isinstance(default, Path):
            shown_default = "policies/ next to main.py"
        else:
            shown_default = str(default)
        raw = environ.get(setting.env, "")
        current = "(set, hidden)" if raw and setting.secret else raw or "(not set)"
        lines += [
            setting.env,
            f"  {setting.meaning}",
            f"  default: {shown_default}; here: {current}",
        ]
    return "\n".join(lines) + "\n"


def print_settings(environ: Mapping[str, str]) -> int:
    """Prints ``describe_settings``; the exit status is 0."""
    print(describe_settings(environ), end="")
    return 0
