"""Valid LiveConnectConfig values generated from the policy schema, one for every field.

The schema tests mutate them (the cold-start check must agree with ``jsonschema`` on
every field, not only on the fields the shipped policies use), and the SDK differential
test sends them through ``@google/genai``. Each ``variant`` picks a different branch of
every ``oneOf`` and a different value of every ``enum``, so a few variants reach every
form. Fields the schema names only to refuse them (``{"not": {}}``) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenvend.policy.schema import policy_schema

# Strings that match the schema's patterns, by pattern; anything else gets "sample".
_PATTERN_SAMPLES = {
    "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": ("en-US", "de-DE", "ja"),
    "^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$": ("get_weather", "lookup.order", "_private"),
    "^[a-z][a-z0-9_-]{0,62}$": ("team", "cost-centre", "env_1"),
}
_MAX_DEPTH = 5  # a Gemini Schema nests itself: fill in one level of it, then {}


def config_fields() -> list[str]:
    """Every LiveConnectConfig field the schema accepts, in the schema's order."""
    properties = policy_schema()["$defs"]["liveConnectConfig"]["properties"]
    return [name for name, node in properties.items() if not _refused(node)]


def sample_field(name: str, variant: int = 0) -> Any:
    """A valid value of one LiveConnectConfig field, every sub-field filled in."""
    node = policy_schema()["$defs"]["liveConnectConfig"]["properties"][name]
    return _Sampler(variant).sample(node, 0)


def sample_config(variant: int = 0) -> dict[str, Any]:
    """A valid LiveConnectConfig with every field the schema accepts."""
    return {name: sample_field(name, variant) for name in config_fields()}


def _refused(node: Mapping[str, Any]) -> bool:
    return node.get("not") == {}


class _Sampler:
    def __init__(self, variant: int) -> None:
        self._variant = variant
        self._defs = policy_schema()["$defs"]

    def _pick(self, options: list[Any] | tuple[Any, ...]) -> Any:
        return options[self._variant % len(options)]

    def sample(self, node: Mapping[str, Any], depth: int) -> Any:
        while "$ref" in node:
            node = {
                **self._defs[node["$ref"].rpartition("/")[2]],
                **{k: v for k, v in node.items() if k != "$ref"},
            }
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return self._pick(node["enum"])
        if "oneOf" in node:
            return self.sample(self._pick(node["oneOf"]), depth)
        kind = node.get("type")
        if kind == "object":
            return self._object(node, depth)
        if kind == "array":
            return [self.sample(node["items"], depth + 1)]
        if kind == "string":
            return self._pick(_PATTERN_SAMPLES.get(node.get("pattern", ""), ("sample",)))
        if kind == "integer":
            return int(node.get("minimum", 1)) + self._variant
        if kind == "number":
            low, high = node.get("minimum", 0), node.get("maximum", 1)
            return low + (high - low) * (1 + self._variant % 3) / 4
        if kind == "boolean":
            return self._variant % 2 == 0
        return "anything"  # no type: any JSON value (Gemini Schema default, example)

    def _object(self, node: Mapping[str, Any], depth: int) -> dict[str, Any]:
        if depth >= _MAX_DEPTH:
            return {}
        properties: Mapping[str, Any] = node.get("properties", {})
        value = {
            name: self.sample(child, depth + 1)
            for name, child in properties.items()
            if not _refused(child)
        }
        # A combination the schema refuses (type with anyOf): keep one of the two.
        for clash in [node.get("not", {}).get("required", [])]:
            for name in clash[1:] if self._variant % 2 == 0 else clash[:1]:
                value.pop(name, None)
        additional = node.get("additionalProperties")
        if isinstance(additional, Mapping):
            names = node.get("propertyNames", {}).get("pattern", "")
            key = self._pick(_PATTERN_SAMPLES.get(names, ("field_a",)))
            value[key] = self.sample(additional, depth + 1)
        return value
