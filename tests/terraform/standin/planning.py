"""What a provider would plan: the proposed new state with every computed
attribute that is still null marked unknown, in nested blocks too.

That is all Terraform needs to check a plan against the schema; the values a
real provider would compute (ids, URLs, etags) only exist after apply.
"""

from __future__ import annotations

from typing import Any

from tests.terraform.standin.schemas import JsonBlock
from tests.terraform.standin.values import UNKNOWN


def mark_computed_unknown(block: JsonBlock, value: Any) -> Any:
    """A copy of an object value of this block with computed nulls unknown."""
    if not isinstance(value, dict):
        return value
    result = dict(value)
    for name, attr in block.get("attributes", {}).items():
        if attr.get("computed") and result.get(name) is None:
            result[name] = UNKNOWN
    for name, nested in block.get("block_types", {}).items():
        inner = nested["block"]
        current = result.get(name)
        if current is None or current is UNKNOWN:
            continue
        mode = nested["nesting_mode"]
        if mode in ("list", "set"):
            result[name] = [mark_computed_unknown(inner, item) for item in current]
        elif mode == "map":
            result[name] = {k: mark_computed_unknown(inner, v) for k, v in current.items()}
        else:
            result[name] = mark_computed_unknown(inner, current)
    return result


def conform(block: JsonBlock, value: Any) -> Any:
    """A stored (JSON) state as a complete object of this block: every
    attribute present, unknown names dropped, absent blocks empty."""
    if not isinstance(value, dict):
        return None
    result: dict[str, Any] = {}
    for name in block.get("attributes", {}):
        result[name] = value.get(name)
    for name, nested in block.get("block_types", {}).items():
        inner = nested["block"]
        current = value.get(name)
        mode = nested["nesting_mode"]
        if mode in ("list", "set"):
            result[name] = [conform(inner, item) for item in (current or [])]
        elif mode == "map":
            result[name] = {k: conform(inner, v) for k, v in (current or {}).items()}
        else:
            result[name] = conform(inner, current) if current else None
    return result


def known_placeholder(type_json: Any, name: str) -> Any:
    """A known value of this cty type for a computed attribute that must come back
    fully known (a data source's, or one an apply fills): empty collections, a
    recognisable string."""
    if type_json == "string":
        return f"stand-in-{name}"
    if type_json == "number":
        return 0
    if type_json == "bool":
        return False
    if isinstance(type_json, list) and type_json[0] in ("list", "set"):
        return []
    if isinstance(type_json, list) and type_json[0] == "map":
        return {}
    if isinstance(type_json, list) and type_json[0] == "object":
        return {key: known_placeholder(inner, key) for key, inner in type_json[1].items()}
    return None


def fill_data_source(block: JsonBlock, config: dict[str, Any]) -> dict[str, Any]:
    """A data source's state: its configuration, with computed nulls known."""
    state: dict[str, Any] = conform(block, config) or {}
    for name, attr in block.get("attributes", {}).items():
        if attr.get("computed") and state.get(name) is None:
            state[name] = known_placeholder(attr["type"], name)
    return state
