"""The command line: ``python -m tokenvend validate | explain | settings``.

``validate [--strict] [PATH ...]`` checks policy files (a folder means every ``*.yaml``
in it; default: the policy folder of the settings). ``explain PROFILE`` prints what one
policy allows. ``settings`` lists every environment variable the function reads, from
the declarations in ``tokenvend/settings.py``. ``pause PROFILE``, ``resume PROFILE``
and ``status [PROFILE]`` work the kill switch of the profiles that read it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tokenvend.clock import Clock, SystemClock
from tokenvend.errors import ConfigurationError
from tokenvend.settings import Settings, env_name


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """Runs one command; the exit status is 0 when it succeeded.

    ``clock`` says what day it is (validate's catalogue age, explain's request times).
    """
    clock = clock or SystemClock()
    parser = argparse.ArgumentParser(prog="python -m tokenvend")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check policy files against the schema")
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help=f"files or folders (default: ${env_name('policy_dir')} or policies/)",
    )
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    explain = commands.add_parser("explain", help="print what one policy allows")
    explain.add_argument("profile", help="profile name, or path to a policy file")
    explain.add_argument(
        "--policy-dir",
        type=Path,
        help=f"folder of policies (default: ${env_name('policy_dir')} or policies/)",
    )
    commands.add_parser("settings", help="list the environment variables the function reads")
    switch_help = {
        "pause": "stop a profile minting, on every instance within 10 s",
        "resume": "let a paused profile mint again",
        "status": "show whether profiles are paused",
    }
    for name, text in switch_help.items():
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "profile", nargs="?" if name == "status" else None, help="profile name (not a path)"
        )
        command.add_argument("--policy-dir", type=Path, help="folder of policies")
    arguments = parser.parse_args(argv)
    if arguments.command == "settings":
        from tokenvend.cli.settings import print_settings

        return print_settings(os.environ)
    try:
        settings = Settings.from_environ(os.environ)
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 1
    if arguments.command in switch_help:
        from tokenvend.cli.killswitch import run_status, run_switch

        folder = arguments.policy_dir or settings.policy_dir
        if arguments.command == "status":
            return run_status(arguments.profile, folder, settings)
        return run_switch(arguments.profile, arguments.command == "pause", folder, settings)
    if arguments.command == "explain":
        from tokenvend.cli.explain import run_explain

        folder = arguments.policy_dir or settings.policy_dir
        return run_explain(arguments.profile, folder, settings, clock.now())
    from tokenvend.cli.validate import run_validate

    paths = arguments.paths or [settings.policy_dir]
    return run_validate(paths, today=clock.now().date(), strict=arguments.strict)
