"""Policy files: YAML in, frozen dataclasses out.

A policy is parsed once, at cold start: safe YAML, then the JSON Schema in
``policy.schema.json``, then the rules the schema cannot express, and finally plain
frozen dataclasses. Every problem of a file is reported at once, each naming the file,
the path in the document and what would be valid. Nothing past this module reads the
raw YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from tokenvend.errors import PolicyError
from tokenvend.fields import GENERATION_FIELDS, SETUP_FIELDS
from tokenvend.option_checks import option_problems
from tokenvend.policy_access import Access, access_problems, build_access
from tokenvend.schema_check import Problem, check

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")
PROFILE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}

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
    and the ``minimum``/``maximum`` range is set. ``default`` is the policy's default, or
    the value ``live`` configures for the field; None means the browser must choose.
    """

    name: str
    field: tuple[str, ...]
    allowed: tuple[FrozenJson, ...] | None
    minimum: float | None
    maximum: float | None
    default: FrozenJson
    description: str = ""


@dataclass(frozen=True)
class Deploy:
    public: bool
    min_instances: int = 0
    max_instances: int = 10
    memory_mb: int = 256


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
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _DuplicateKey) as error:
        raise PolicyError(source, [*problems, ("(file)", _describe_load_error(error))]) from error
    problems += check(document, policy_schema())
    if not problems:
        problems += _cross_field_problems(document)
    if problems:
        raise PolicyError(source, problems)
    return _build(path.stem, source, document)


@cache
def policy_schema() -> Mapping[str, Any]:
    schema: Mapping[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


class _DuplicateKey(yaml.YAMLError):
    pass


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise _DuplicateKey(f"key {key!r} appears twice (second time on line {line})")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass


def _describe_load_error(error: Exception) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"not valid YAML: {error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    if isinstance(error, yaml.YAMLError):
        return f"not valid YAML: {error}"
    return f"cannot read the file: {error}"


def _cross_field_problems(document: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    token = document["token"]
    if token["new_session_expire_after_seconds"] > token["expire_after_seconds"]:
        problems.append(
            ("token.new_session_expire_after_seconds",
             f"must be at most expire_after_seconds ({token['expire_after_seconds']}), "
             f"got {token['new_session_expire_after_seconds']}")
        )  # fmt: skip
    for index, origin in enumerate(document["access"]["allowed_origins"]):
        scheme = origin.split("://", 1)[0]
        if origin.endswith(_DEFAULT_PORTS[scheme]):
            problems.append(
                (f"access.allowed_origins[{index}]",
                 f"{origin!r} names the default port; browsers omit it, so write "
                 f"{origin.removesuffix(_DEFAULT_PORTS[scheme])!r}")
            )  # fmt: skip
    deploy = document["deploy"]
    if deploy.get("min_instances", 0) > deploy.get("max_instances", 10):
        problems.append(
            ("deploy.min_instances",
             f"must be at most max_instances ({deploy.get('max_instances', 10)})")
        )  # fmt: skip
    problems += access_problems(document["access"])
    problems += option_problems(document, policy_schema())
    return problems


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
        default = option.get("default", _configured_value(document["live"], field))
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
            )
        )
    return tuple(options)


def _configured_value(live: Mapping[str, Any], field: tuple[str, ...]) -> Any:
    """The value ``live`` gives a field, or None; cross-field checks ran already."""
    node: Any = live if field == ("model",) else live.get("config") or {}
    for part in field:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _build_live(live: Any) -> LiveConstraints | None:
    if live == "unconstrained":
        return None
    lock = live["lock"]
    if isinstance(lock, Mapping):
        parsed_lock = Lock("configured", tuple(lock["configured_plus"]))
    else:
        parsed_lock = Lock(lock)
    config = live.get("config") or {}
    # Keep the documented field order, whatever order the author wrote.
    ordered = {name: config[name] for name in (*GENERATION_FIELDS, *SETUP_FIELDS) if name in config}
    return LiveConstraints(model=live["model"], config=freeze(ordered), lock=parsed_lock)
