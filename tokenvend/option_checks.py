"""Policy rules for ``client_options`` that the JSON Schema cannot express.

Each option names one field and the values a browser may choose for it. Every value it
could ever produce (each allowed value, both ends of a range, the default) is put into
a copy of the policy and checked against the schema, so no choice a browser makes can
yield a setup Gemini would refuse. The value ``live`` already gives the field counts as
the option's default; giving a second default, or two options for one field, is refused.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tokenvend.schema_check import Problem, check

_MISSING: Any = object()


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, although Python says so."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(map(same_json, left, right))
    return bool(left == right)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def option_problems(document: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Problem]:
    options: Mapping[str, Any] = document.get("client_options") or {}
    if not options:
        return []
    live = document["live"]
    if not isinstance(live, Mapping):
        return [("client_options", "needs a live mapping: with live: unconstrained the "
                 "browser already chooses everything")]  # fmt: skip
    problems: list[Problem] = []
    seen: dict[tuple[str, ...], str] = {}
    for name, option in options.items():
        where = f"client_options.{name}"
        field = tuple(option["field"].split("."))
        for other_field, other in seen.items():
            shorter = min(len(field), len(other_field))
            if field[:shorter] == other_field[:shorter]:
                overlap = f"overlaps option {other!r} ({'.'.join(other_field)})"
                problems.append((f"{where}.field", f"{overlap}; a field may have one option"))
        seen[field] = name
        configured, blocked = _configured(live, field)
        if blocked:
            problems.append((f"{where}.field", f"live.config sets {blocked} to a value that "
                             f"is not a mapping, so {option['field']} cannot be set"))  # fmt: skip
            continue
        if configured is not _MISSING and "default" in option:
            problems.append((f"{where}.default", f"{option['field']} is already set in live "
                             "and that value is the default; remove one of the two"))  # fmt: skip
        default = option.get("default", configured)
        if "allowed" in option:
            candidates = [(f"{where}.allowed[{i}]", v) for i, v in enumerate(option["allowed"])]
        else:
            candidates = [(f"{where}.minimum", option["minimum"]),
                          (f"{where}.maximum", option["maximum"])]  # fmt: skip
        if "default" in option:
            candidates.append((f"{where}.default", option["default"]))
        for path, value in candidates:
            problems += _invalid_for_field(document, schema, field, value, path)
        problems += _default_problems(where, option, default)
    return problems


def _default_problems(where: str, option: Mapping[str, Any], default: Any) -> list[Problem]:
    at = f"{where}.default" if "default" in option else f"{where}.field"
    if "allowed" in option:
        if default is not _MISSING and not any(same_json(default, v) for v in option["allowed"]):
            return [(at, f"the default {default!r} must be one of the allowed values")]
        return []
    low, high = option["minimum"], option["maximum"]
    if low > high:
        return [(f"{where}.minimum", f"must be at most maximum ({high}), got {low}")]
    if default is not _MISSING and not (is_number(default) and low <= default <= high):
        return [(at, f"the default {default!r} must be a number from {low} to {high}")]
    return []


def _configured(live: Mapping[str, Any], field: tuple[str, ...]) -> tuple[Any, str]:
    """The value ``live`` gives the field (or _MISSING), and the path that blocks it."""
    node: Any = live if field == ("model",) else live.get("config") or {}
    for depth, part in enumerate(field):
        if not isinstance(node, Mapping):
            return _MISSING, ".".join(field[:depth])
        if part not in node:
            return _MISSING, ""
        node = node[part]
    return node, ""


def _invalid_for_field(
    document: Mapping[str, Any], schema: Mapping[str, Any], field: tuple[str, ...], value: Any,
    path: str,
) -> list[Problem]:  # fmt: skip
    trial = copy.deepcopy(dict(document))
    if field == ("model",):
        trial["live"]["model"] = value
    else:
        node = trial["live"].setdefault("config", {})
        for part in field[:-1]:
            node = node.setdefault(part, {})
        node[field[-1]] = value
    found = check(trial, schema)
    return [(path, f"{value!r} is not valid for {'.'.join(field)}: {where}: {message}")
            for where, message in found]  # fmt: skip
