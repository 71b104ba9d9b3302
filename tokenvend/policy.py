"""Policy files: YAML in, frozen dataclasses out.

A policy is parsed once, at cold start: strict YAML (``policy_yaml``), then the JSON
Schema in ``policy.schema.json``, then the rules the schema cannot express
(``policy_rules``), and finally plain frozen dataclasses. Every problem of a file is
reported at once, each naming the file, the path in the document and what would be
valid. Nothing past this module reads the raw YAML or the schema: what a request needs
to know about a field, such as whether it takes only integers, is worked out here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from tokenvend.errors import PolicyError
from tokenvend.fields import in_wire_order
from tokenvend.option_checks import MISSING, configured_value, field_type
from tokenvend.policy_access import Access, build_access
from tokenvend.policy_rules import rule_problems
from tokenvend.policy_yaml import LOAD_ERRORS, describe_load_error, parse_yaml
from tokenvend.schema_check import Problem, check

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")
PROFILE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")

# A frozen JSON value: mappings are read-only views and lists are tuples.
FrozenJson = Any


@dataclass(frozen=True)
class TokenRules:
    uses: int
    expire_after_seconds: int
    new_session_expire_after_seconds: int


@dataclass(frozen=True)
class Lock:
    """Which fields the browser may not change (the SDK's ``lockAdditionalFields``)."""

    mode: Literal["all", "configured"]
    additional_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveConstraints:
    model: str
    config: Mapping[str, FrozenJson]
    lock: Lock


@dataclass(frozen=True)
class ClientOption:
    """A setting the browser may choose: one field, the values allowed, a default.

    ``field`` is ``("model",)`` or a LiveConnectConfig path. Exactly one of ``allowed``
    and the ``minimum``/``maximum`` range is set; every value they admit was checked
    against the schema at load time. ``integer_only`` says the field's schema type is
    integer, so a range admits only whole numbers. ``default`` is the policy's default,
    or the value ``live`` configures for the field; None means the browser must choose.
    """

    name: str
    field: tuple[str, ...]
    allowed: tuple[FrozenJson, ...] | None
    minimum: float | None
    maximum: float | None
    default: FrozenJson
    description: str = ""
    integer_only: bool = False


@dataclass(frozen=True)
class Deploy:
    public: bool
    min_instances: int = 0
    max_instances: int = 10
    memory_mb: int = 256


# The optional deploy settings, as the dataclass defaults them; the rules need them too.
_DEPLOY_DEFAULTS = MappingProxyType(
    {f.name: f.default for f in dataclasses.fields(Deploy) if f.default is not dataclasses.MISSING}
)


@dataclass(frozen=True)
class Policy:
    profile: str
    source: str
    description: str
    token: TokenRules
    live: LiveConstraints | None  # None: unconstrained
    access: Access
    deploy: Deploy
    client_options: tuple[ClientOption, ...] = ()


def policy_files(directory: Path) -> list[Path]:
    """The policy files of a folder: every ``*.yaml``, sorted; one function each."""
    return sorted(path for path in directory.glob("*.yaml") if path.is_file())


def load_profile(directory: Path, profile: str) -> Policy:
    path = directory / f"{profile}.yaml"
    if not path.is_file():
        names = ", ".join(p.stem for p in policy_files(directory)) or "none"
        raise PolicyError(
            str(path), [("(file)", f"no policy file for profile {profile!r}; found: {names}")]
        )
    return load_policy(path)


def load_policy(path: Path) -> Policy:
    source = str(path)
    problems: list[Problem] = []
    if not PROFILE_NAME.match(path.stem):
        problems.append(
            ("(file name)", f"profile name {path.stem!r} must be lowercase kebab-case, start "
             "with a letter, end with a letter or digit, and have at most 40 characters")
        )  # fmt: skip
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except LOAD_ERRORS as error:
        raise PolicyError(source, [*problems, ("(file)", describe_load_error(error))]) from error
    schema_problems = check(document, policy_schema())
    problems += schema_problems
    problems += rule_problems(document, schema_problems, policy_schema(), _DEPLOY_DEFAULTS)
    if problems:
        raise PolicyError(source, problems)
    return _build(path.stem, source, document)


@cache
def policy_schema() -> Mapping[str, Any]:
    schema: Mapping[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def freeze(value: Any) -> FrozenJson:
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def _build(profile: str, source: str, document: Mapping[str, Any]) -> Policy:
    token = document["token"]
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
    return LiveConstraints(model=live["model"], config=freeze(config), lock=parsed_lock)
