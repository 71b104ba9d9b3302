"""Policy rules for ``client_options`` that the JSON Schema cannot express.

Each option names one field and the values a browser may choose for it. Every value it
could ever produce (each allowed value, both ends of a range, the default) is put into
a copy of ``live`` and checked against the schema and the model catalogue, so no choice
a browser makes can yield a setup Gemini would refuse. The value ``live`` already gives
the field counts as the option's default; giving a second default, or two options for
one field, is refused.
What a range cannot say (that a field takes only integers) is read from the schema here,
once, so that requests need only the loaded options.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from tokenvend.jsonvalues import is_number, same_json, show
from tokenvend.policy.catalogue import model_problems
from tokenvend.policy.model import session_models
from tokenvend.policy.schema import Problem, check

MISSING: Any = object()  # no value at all, as opposed to a null one


def option_problems(
    options: Mapping[str, Any], live: Any, schema: Mapping[str, Any]
) -> list[Problem]:
    """The problems of schema-valid ``client_options`` beside a schema-valid ``live``."""
    if not isinstance(live, Mapping):
        return [
            (
                "client_options",
                "needs a live mapping: with live: unconstrained the browser already "
                "chooses everything",
            )
        ]
    problems: list[Problem] = []
    seen: dict[tuple[str, ...], str] = {}
    # Each option value is checked with every model a session may use.
    models = session_models(
        live["model"],
        (option.get("allowed", []) for option in options.values() if option["field"] == "model"),
    )
    for name, option in options.items():
        where = f"client_options.{name}"
        field = tuple(option["field"].split("."))
        for other_field, other in seen.items():
            shorter = min(len(field), len(other_field))
            if field[:shorter] == other_field[:shorter]:
                overlap = f"overlaps option {other!r} ({'.'.join(other_field)})"
                problems.append((f"{where}.field", f"{overlap}; a field may have one option"))
        seen[field] = name
        configured, blocked = configured_value(live, field)
        if blocked:
            problems.append(
                (
                    f"{where}.field",
                    f"live.config sets {blocked} to a value that is not a mapping, "
                    f"so {option['field']} cannot be set",
                )
            )
            continue
        if configured is not MISSING and "default" in option:
            problems.append(
                (
                    f"{where}.default",
                    f"{option['field']} is already set in live and that value is the "
                    "default; remove one of the two",
                )
            )
        default = option.get("default", configured)
        if "allowed" in option:
            candidates = [(f"{where}.allowed[{i}]", v) for i, v in enumerate(option["allowed"])]
        else:
            candidates = [
                (f"{where}.minimum", option["minimum"]),
                (f"{where}.maximum", option["maximum"]),
            ]
        if "default" in option:
            candidates.append((f"{where}.default", option["default"]))
        for path, value in candidates:
            problems += _invalid_for_field(live, schema, field, value, path, models)
        problems += _default_problems(where, option, default)
    return problems


def _default_problems(where: str, option: Mapping[str, Any], default: Any) -> list[Problem]:
    at = f"{where}.default" if "default" in option else f"{where}.field"
    if "allowed" in option:
        if default is not MISSING and not any(same_json(default, v) for v in option["allowed"]):
            return [(at, f"the default {show(default)} must be one of the allowed values")]
        return []
    low, high = option["minimum"], option["maximum"]
    if low > high:
        return [(f"{where}.minimum", f"must be at most maximum ({high}), got {low}")]
    if default is not MISSING and not (is_number(default) and low <= default <= high):
        return [(at, f"the default {show(default)} must be a number from {low} to {high}")]
    return []


def configured_value(live: Mapping[str, Any], field: tuple[str, ...]) -> tuple[Any, str]:
    """The value ``live`` gives the field (or MISSING), and the path that blocks it."""
    node: Any = live if field == ("model",) else live.get("config") or {}
    for depth, part in enumerate(field):
        if not isinstance(node, Mapping):
            return MISSING, ".".join(field[:depth])
        if part not in node:
            return MISSING, ""
        node = node[part]
    return node, ""


def field_type(schema: Mapping[str, Any], field: tuple[str, ...]) -> str | None:
    """The JSON type the schema gives a field ("integer", "string", ...), if it names one.

    Follows ``$ref`` and, where a field has several forms (``oneOf``), the form that
    has the next part of the path as a property; a path the schema does not know has
    no type.
    """
    defs = schema["$defs"]
    node: Any = defs["liveConstraints"] if field == ("model",) else defs["liveConnectConfig"]
    for part in field:
        forms = [_resolved(defs, form) for form in _resolved(defs, node).get("oneOf", [node])]
        node = next(
            (form["properties"][part] for form in forms if part in form.get("properties", {})), {}
        )
    kind = _resolved(defs, node).get("type")
    return kind if isinstance(kind, str) else None


def _resolved(defs: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rpartition("/")[2]]
    return node


def _invalid_for_field(
    live: Mapping[str, Any],
    schema: Mapping[str, Any],
    field: tuple[str, ...],
    value: Any,
    path: str,
    models: list[str],
) -> list[Problem]:
    trial = copy.deepcopy(dict(live))
    if field == ("model",):
        trial["model"] = value
    else:
        node = trial.setdefault("config", {})
        for part in field[:-1]:
            node = node.setdefault(part, {})
        node[field[-1]] = value
    # Only live is checked: problems elsewhere in the file are not this option's.
    found = check(trial, {"$defs": schema["$defs"], "$ref": "#/$defs/liveConstraints"})
    if not found:
        # Valid for the schema; is it for the model: the option's value, or each model
        # the session may use? What live gets wrong without the option is live's problem.
        config = live.get("config") or {}
        for model in [trial["model"]] if field == ("model",) else models:
            before = model_problems(live["model"] if field == ("model",) else model, config, "")
            after = model_problems(model, trial.get("config") or {}, where="")
            found += [
                (where.lstrip("."), message)
                for where, message in after
                if (where, message) not in before
            ]
    return [
        (path, f"{show(value)} is not valid for {'.'.join(field)}: live.{where}: {message}")
        for where, message in found
    ]
