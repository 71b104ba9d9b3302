"""The YAML a policy file is written in, read strictly.

Policies are read with PyYAML's safe loader (its C version when built), so no tag can
build a Python object. Unlike the stock loader it refuses a key written twice in one
mapping instead of silently keeping the last value: in a policy the first one is
usually what the author meant to keep. And it yields only values JSON has, because the
policy is checked against a JSON Schema and its values go to Gemini as JSON: a date is
read as the text it is written as (as YAML 1.2 and the editor's schema check read it),
and ``.nan``, ``.inf``, ``!!binary`` and ``!!set`` are refused. A policy file is input
that may be hostile, so reading it must stay cheap: aliases (``*name``) are refused, since
a few hundred bytes of nested ones expand to gigabytes (and to a Gemini request that
large per token); so are mapping keys that are not text, nesting past ``MAX_DEPTH`` and
integers too long for any field. Whatever goes wrong, the message says where in the file
it went wrong, because it ends up in a refusal to start.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from tokenvend.jsonvalues import show

# A policy nests a handful of levels; anything deeper is not one (and must not reach a
# recursive reader of it).
MAX_DEPTH = 32
# The longest integer any policy field takes is far shorter (int64 has 19 digits).
MAX_INTEGER_DIGITS = 20

# What reading a policy file may raise; describe_load_error turns each into a sentence.
LOAD_ERRORS: tuple[type[Exception], ...] = (OSError, UnicodeDecodeError, yaml.YAMLError)


class StrictYamlError(yaml.YAMLError):
    """Valid YAML that a policy may not contain; the message names the line."""


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise StrictYamlError(
                f"key {show(key)} (line {line}) is not text; a policy's keys "
                "are names: quote it, or write it as a plain word"
            )
        if key in mapping:
            raise StrictYamlError(f"key {show(key)} appears twice (second time on line {line})")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value: float = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise StrictYamlError(
            f"{node.value} (line {node.start_mark.line + 1}) is not a number "
            "JSON can carry; write a finite number"
        )
    return value


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    digits = sum(character.isalnum() for character in str(node.value))
    if digits > MAX_INTEGER_DIGITS:
        line = node.start_mark.line + 1
        raise StrictYamlError(
            f"the integer on line {line} has {digits} digits; "
            f"no policy field takes more than {MAX_INTEGER_DIGITS}"
        )
    value: int = loader.construct_yaml_int(node)
    return value


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    raise StrictYamlError(
        f"{node.tag} (line {node.start_mark.line + 1}) has no JSON form; "
        "write a string, number, list or mapping"
    )


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_str)
for _tag in ("binary", "set", "omap", "pairs"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


def parse_yaml(text: str) -> Any:
    """The document of a YAML text: plain dicts, lists, strings, numbers, bools, None."""
    _check_events(text)
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass


def _check_events(text: str) -> None:
    """Refuses aliases and deep nesting from the parser's events, before anything is built.

    The events are a flat stream, so this pass costs as little as the text is long,
    whatever the aliases would have expanded to.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_StrictLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise StrictYamlError(
                f"*{show(event.anchor)} (line {line}) is an alias; a policy "
                "may not use aliases: write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise StrictYamlError(
                    f"line {line} nests lists or mappings more than "
                    f"{MAX_DEPTH} deep; no policy needs that"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def describe_load_error(error: Exception) -> str:
    """One sentence for a policy file that could not be read or parsed, with its line."""
    if isinstance(error, StrictYamlError):
        return str(error)
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"not valid YAML: {error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    if isinstance(error, yaml.YAMLError):
        return f"not valid YAML: {error}"
    return f"cannot read the file: {error}"


def yaml_hints(document: Any, problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Problems with a hint added where YAML turned a plain word into a boolean.

    ``lock: yes`` reaches the schema as ``True``; the schema's message alone would leave
    the author wondering where the boolean came from.
    """
    hinted = []
    for path, message in problems:
        value = _value_at(document, path)
        if isinstance(value, bool) and "true or false" not in message:
            message += (
                f" (YAML read a plain yes/no/on/off/true/false as the boolean "
                f"{str(value).lower()}; quote the word if you meant text)"
            )
        hinted.append((path, message))
    return hinted


def _value_at(document: Any, path: str) -> Any:
    node = document
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and isinstance(node, list):
            index = int(part[1:-1])
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node
