"""JSON values as policies hold them: frozen, compared the way JSON compares them.

A policy is parsed once and shared by every request, so its JSON parts are frozen:
mappings become read-only views and lists become tuples. ``thaw`` makes a plain copy
for the wire. Python's equality says ``True == 1``; JSON's does not, so values chosen by
a browser are compared with ``same_json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

# A frozen JSON value: a string, number, bool, None, read-only mapping or tuple.
FrozenJson = Any


def freeze(value: Any) -> FrozenJson:
    """A read-only copy of a JSON value."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable JSON copy of a frozen value."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def is_number(value: Any) -> bool:
    """A JSON number: Python's bool is an int, but ``true`` is not a number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_json(left: Any, right: Any) -> bool:
    """JSON equality, at any depth: ``true`` is not ``1``, although Python says so."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(map(same_json, left, right))
    return bool(left == right)


def json_key(value: Any) -> Any:
    """A hashable stand-in for a JSON value: equal exactly when ``same_json`` says so.

    Lets a long list be checked for repeats in one pass instead of comparing every pair.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Mapping):
        return ("object", frozenset((key, json_key(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(json_key(item) for item in value))
    if is_number(value):
        return ("number", value)  # 1 and 1.0 hash and compare alike, as JSON's numbers do
    return (type(value).__name__, value)


def printable(text: str) -> str:
    """``text`` with every character that is not printable (line breaks, terminal escapes,
    U+2028, ...) written as its Python escape, so it prints as exactly one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def show(value: Any, limit: int = 60) -> str:
    """A short, bounded rendering of a value for a message; never the whole of a big one."""
    if isinstance(value, str) and len(value) <= limit:
        return repr(value)
    text = repr(thaw(value)) if _is_small(value) else f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_small(value: Any, budget: int = 200) -> bool:
    """Whether a value has few enough parts to render without cost (aliases can nest)."""
    stack, seen = [value], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, str) and len(item) > 10_000:
            return False
    return True
