"""Policy files: YAML in, frozen dataclasses (``model.py``) out.

A policy is parsed once, at cold start: strict YAML (``strict_yaml``), then the JSON
Schema in ``policy.schema.json``, then the rules the schema cannot express
(``rules``), and finally the frozen dataclasses. Every problem of a file is reported at
once, each naming the file, the path in the document and what would be valid.

The file itself may be hostile too (``validate`` is run on files from anywhere): only a
regular file is read, never through a symbolic link, never a FIFO or a device (which
would hang or never end), and at most ``MAX_POLICY_BYTES`` of it.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tokenvend.errors import PolicyError
from tokenvend.jsonvalues import freeze
from tokenvend.policy.access import build_access
from tokenvend.policy.fields import in_wire_order
from tokenvend.policy.model import (
    PROFILE_NAME,
    ClientOption,
    Deploy,
    LiveConstraints,
    Lock,
    Policy,
    TokenRules,
)
from tokenvend.policy.option_rules import MISSING, configured_value, field_type
from tokenvend.policy.rules import rule_problems
from tokenvend.policy.schema import Problem, check, policy_schema
from tokenvend.policy.spend import compile_spend
from tokenvend.policy.strict_yaml import LOAD_ERRORS, describe_load_error, parse_yaml, yaml_hints

# A policy is a few kilobytes; a long system instruction still fits many times over.
MAX_POLICY_BYTES = 256 * 1024

# The optional deploy settings, as the dataclass defaults them; the rules need them too.
_DEPLOY_DEFAULTS = MappingProxyType(
    {f.name: f.default for f in dataclasses.fields(Deploy) if f.default is not dataclasses.MISSING}
)


def policy_files(directory: Path) -> list[Path]:
    """The policy files of a folder: every ``*.yaml`` that is not a folder, sorted.

    Symbolic links and other files that are not regular are listed too, so that reading
    them refuses them by name rather than leaving them out unseen.
    """
    return sorted(path for path in directory.glob("*.yaml") if not path.is_dir())


class PolicyFileRefused(OSError):
    """The path is not a policy file that may be read: the message says what it is."""


def read_policy_text(path: Path) -> str:
    """The text of a regular file at ``path``, at most MAX_POLICY_BYTES, not via a link."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link is
        # refused (ELOOP) rather than followed to wherever it points.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if path.is_symlink():
            raise PolicyFileRefused("it is a symbolic link; point at the file itself") from None
        raise PolicyFileRefused(error.strerror or type(error).__name__) from None
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket or another special file"
            )
            raise PolicyFileRefused(f"it is {kind}, not a regular file")
        data = file.read(MAX_POLICY_BYTES + 1)
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyFileRefused(
            f"it is larger than {MAX_POLICY_BYTES // 1024} KiB; no policy is that long"
        )
    return data.decode("utf-8")


def load_profile(directory: Path, profile: str) -> Policy:
    """The policy of ``profile`` in ``directory``; if there is none, the error lists those found."""
    path = directory / f"{profile}.yaml"
    if not path.is_file():
        names = ", ".join(p.stem for p in policy_files(directory)) or "none"
        raise PolicyError(
            str(path), [("(file)", f"no policy file for profile {profile!r}; found: {names}")]
        )
    return load_policy(path)


def load_policy(path: Path) -> Policy:
    """Reads, checks and freezes one policy file; a PolicyError lists every problem at once."""
    source = str(path)
    problems: list[Problem] = []
    if not PROFILE_NAME.fullmatch(path.stem):
        problems.append(
            (
                "(file name)",
                f"profile name {path.stem!r} must be lowercase kebab-case, start with a "
                "letter, end with a letter or digit, and have at most 40 characters",
            )
        )
    try:
        document = parse_yaml(read_policy_text(path))
    except LOAD_ERRORS as error:
        raise PolicyError(source, [*problems, ("(file)", describe_load_error(error))]) from error
    if not isinstance(document, Mapping):
        got = "an empty file" if document is None else f"a {_yaml_kind(document)}"
        problems.append(
            (
                "(file)",
                f"a policy file must be a mapping of keys (description:, token:, ...), got {got}",
            )
        )
        raise PolicyError(source, problems)
    schema_problems = yaml_hints(document, check(document, policy_schema()))
    problems += schema_problems
    problems += rule_problems(document, schema_problems, policy_schema(), _DEPLOY_DEFAULTS)
    if problems:
        raise PolicyError(source, problems)
    return _build(path.stem, source, document)


def _yaml_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else f"single value ({type(value).__name__})"


def _build(profile: str, source: str, document: Mapping[str, Any]) -> Policy:
    token = document["token"]
    spend, quotas = compile_spend(document, source)
    return Policy(
        profile=profile,
        source=source,
        description=document["description"],
        token=TokenRules(
            uses=int(token["uses"]),
            expire_after_seconds=int(token["expire_after_seconds"]),
            new_session_expire_after_seconds=int(token["new_session_expire_after_seconds"]),
        ),
        live=_build_live(document["live"]),
        access=build_access(document["access"]),
        deploy=Deploy(**document["deploy"]),
        client_options=_build_options(document),
        quotas=quotas,
        spend=spend,
        kill_switch=quotas is not None or document.get("kill_switch", False),
    )


def _build_options(document: Mapping[str, Any]) -> tuple[ClientOption, ...]:
    options = []
    for name, option in (document.get("client_options") or {}).items():
        field = tuple(option["field"].split("."))
        configured, _ = configured_value(document["live"], field)
        default = option.get("default", None if configured is MISSING else configured)
        integer_only = field_type(policy_schema(), field) == "integer"
        if integer_only and isinstance(default, float):
            default = int(default)  # the schema's integers include 20.0; Gemini wants 20
        allowed = option.get("allowed")
        options.append(
            ClientOption(
                name=name,
                field=field,
                allowed=None if allowed is None else tuple(freeze(value) for value in allowed),
                minimum=option.get("minimum"),
                maximum=option.get("maximum"),
                default=freeze(default),
                description=option.get("description", ""),
                integer_only=integer_only,
            )
        )
    return tuple(options)


def _build_live(live: Any) -> LiveConstraints | None:
    if live == "unconstrained":
        return None
    lock = live["lock"]
    if isinstance(lock, Mapping):
        parsed_lock = Lock("configured", tuple(lock["configured_plus"]))
    else:
        parsed_lock = Lock(lock)
    config = in_wire_order(live.get("config") or {})
    return LiveConstraints(
        model=live["model"],
        config=freeze(config),
        lock=parsed_lock,
        instruction_must_hold=live.get("instruction_must_hold", False),
    )
