"""Checks a document against the policy JSON Schema without a general validator.

Importing ``jsonschema`` costs about 70 ms, which every cold start would pay. The policy
schema uses a small set of keywords, so this module interprets exactly that set and
refuses a schema that uses anything else; the test suite checks that it agrees with
``jsonschema`` on every shipped policy and on a corpus of broken ones. Unlike most
validators it reports every problem of a document, each with a JSON path and a sentence
saying what would be valid.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tokenvend.jsonvalues import is_number, json_key, same_json, show

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")

Problem = tuple[str, str]

ANNOTATION_KEYWORDS = frozenset({"$schema", "$id", "$defs", "title", "description"})
ASSERTION_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "oneOf",
        "not",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "minProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
    }
)
SUPPORTED_KEYWORDS = ANNOTATION_KEYWORDS | ASSERTION_KEYWORDS

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def policy_schema() -> Mapping[str, Any]:
    """The policy JSON Schema, read once (a memo of constant data)."""
    schema: Mapping[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def check(document: Any, schema: Mapping[str, Any]) -> list[Problem]:
    """Return every problem of ``document``, in document order; empty when valid."""
    problems: list[Problem] = []
    _Checker(schema).check(document, schema, "", problems)
    return problems


def describe_path(path: str) -> str:
    """A schema path as messages show it: no leading dot, and ``(document)`` for the root."""
    return path.lstrip(".") or "(document)"


def _is_type(value: Any, type_name: str) -> bool:
    if type_name == "integer":
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return is_number(value)
    if type_name == "object":
        return isinstance(value, Mapping)
    if type_name == "array":
        return isinstance(value, list)
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool)
    return value is None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # JSON Schema's "$" (ECMA-262) matches only at the very end; Python's also matches
    # before a final newline, which would let "gemini-3.8-live\n" through.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root

    def resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref is supported, got {ref!r}")
        node: Any = self._root
        for part in ref[2:].split("/"):
            node = node[part]
        return node  # type: ignore[no-any-return]

    def check(self, value: Any, schema: Mapping[str, Any], path: str, out: list[Problem]) -> None:
        unknown = set(schema) - SUPPORTED_KEYWORDS
        if unknown:
            raise ValueError(f"schema keyword(s) not supported here: {sorted(unknown)}")
        if "$ref" in schema:
            self.check(value, self.resolve(schema["$ref"]), path, out)
        if "oneOf" in schema:
            self._one_of(value, schema["oneOf"], schema.get("description", ""), path, out)
        if "const" in schema and not same_json(value, schema["const"]):
            out.append((describe_path(path), f"must be {schema['const']!r}, got {show(value)}"))
            return
        if "enum" in schema and not any(same_json(value, o) for o in schema["enum"]):
            allowed = ", ".join(str(option) for option in schema["enum"])
            out.append((describe_path(path), f"must be one of: {allowed}; got {show(value)}"))
            return
        if "type" in schema and not _is_type(value, schema["type"]):
            expected = _TYPE_NAMES[schema["type"]]
            out.append((describe_path(path), f"must be {expected}, got {show(value)}"))
            return
        if "not" in schema:
            # A field the schema names only to refuse it ({"not": {}}), or a combination
            # it refuses: the description says why and what to do instead.
            found: list[Problem] = []
            self.check(value, schema["not"], path, found)
            if not found:
                why = schema["not"].get("description") or schema.get("description", "")
                out.append((describe_path(path), why or "is not allowed here"))
        if isinstance(value, Mapping):
            self._object(value, schema, path, out)
        elif isinstance(value, list):
            self._array(value, schema, path, out)
        elif isinstance(value, str):
            self._string(value, schema, path, out)
        elif is_number(value):
            self._number(value, schema, path, out)

    def _one_of(
        self,
        value: Any,
        branches: Sequence[Mapping[str, Any]],
        what: str,
        path: str,
        out: list[Problem],
    ) -> None:
        results = []
        for branch in branches:
            found: list[Problem] = []
            self.check(value, branch, path, found)
            results.append(found)
        passing = [found for found in results if not found]
        if len(passing) == 1:
            return
        if len(passing) > 1:
            out.append((describe_path(path), f"matches more than one form: {what}"))
            return
        # Report the form the author most likely meant: for a mapping, the one that
        # declares most of the keys it has (so a misspelt key is reported as such, not as
        # a reason to ask for another form's keys); otherwise the one whose problems lie
        # deepest (it got furthest), unless no form got past the top level.
        chosen = max(
            range(len(branches)),
            key=lambda i: (_known_keys(value, branches[i], self), _depth(results[i])),
        )
        if _depth(results[chosen]) > len(describe_path(path)) or isinstance(value, Mapping):
            out.extend(results[chosen])
        else:
            out.append((describe_path(path), f"{show(value)} is not valid here: {what}"))

    def _object(
        self, value: Mapping[str, Any], schema: Mapping[str, Any], path: str, out: list[Problem]
    ) -> None:
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append((describe_path(path), f"missing required key {name!r}"))
        if len(value) < schema.get("minProperties", 0):
            out.append((describe_path(path), "must not be empty"))
        additional = schema.get("additionalProperties", True)
        for key, item in value.items():
            child = f"{path}.{key}"
            if "propertyNames" in schema:
                self.check(key, schema["propertyNames"], child, out)
            if key in properties:
                self.check(item, properties[key], child, out)
            elif additional is False:
                allowed = ", ".join(properties) or "none"
                close = difflib.get_close_matches(str(key), list(properties), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                out.append((describe_path(child), f"unknown key; {hint}allowed here: {allowed}"))
            elif isinstance(additional, Mapping):
                # A map with names of the author's choosing (client_options): every
                # value follows one schema.
                self.check(item, additional, child, out)

    def _array(
        self, value: list[Any], schema: Mapping[str, Any], path: str, out: list[Problem]
    ) -> None:
        if len(value) < schema.get("minItems", 0):
            out.append((describe_path(path), f"needs at least {schema['minItems']} item(s)"))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append((describe_path(path), f"allows at most {schema['maxItems']} item(s)"))
        if schema.get("uniqueItems"):
            seen: set[Any] = set()
            for index, item in enumerate(value):
                key = json_key(item)
                if key in seen:
                    out.append((describe_path(f"{path}[{index}]"), f"{show(item)} is repeated"))
                seen.add(key)
        if "items" in schema:
            for index, item in enumerate(value):
                self.check(item, schema["items"], f"{path}[{index}]", out)

    def _string(self, value: str, schema: Mapping[str, Any], path: str, out: list[Problem]) -> None:
        if len(value) < schema.get("minLength", 0):
            out.append((describe_path(path), "must not be empty"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append((describe_path(path), f"is longer than {schema['maxLength']} characters"))
        if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
            hint = schema.get("description", f"a string matching {schema['pattern']}")
            hint = hint[:1].lower() + hint[1:]
            out.append((describe_path(path), f"{show(value)} is not valid; expected {hint}"))

    def _number(
        self, value: float, schema: Mapping[str, Any], path: str, out: list[Problem]
    ) -> None:
        if "minimum" in schema and value < schema["minimum"]:
            out.append((describe_path(path), f"must be at least {schema['minimum']}, got {value}"))
        if "maximum" in schema and value > schema["maximum"]:
            out.append((describe_path(path), f"must be at most {schema['maximum']}, got {value}"))


def _depth(found: list[Problem]) -> int:
    return max(len(where) for where, _ in found)


def _known_keys(value: Any, branch: Mapping[str, Any], checker: _Checker) -> int:
    """How many of a mapping's keys a form declares (0 for other values)."""
    if not isinstance(value, Mapping):
        return 0
    while "$ref" in branch:
        branch = checker.resolve(branch["$ref"])
    return len(set(value) & set(branch.get("properties", {})))
