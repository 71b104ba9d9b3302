"""Client options: the few settings a browser may choose, and nothing else.

The browser sends ``{"options": {"voice": "Kore"}}``. Each name must be an option of the
policy and each value one it allows; anything else is a 400 that names the option and
what is allowed. Chosen values (or the defaults) are written into the live config
before the request body and its field mask are built, so they are locked exactly like
the fields the policy configures. An option without a default must be sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from tokenvend.errors import InvalidArgument
from tokenvend.fields import GENERATION_FIELDS, SETUP_FIELDS
from tokenvend.option_checks import is_number, same_json
from tokenvend.policy import ClientOption, LiveConstraints, freeze, policy_schema
from tokenvend.schema_check import check
from tokenvend.token_request import thaw


def apply_options(
    live: LiveConstraints | None, options: Sequence[ClientOption], chosen: Mapping[str, Any]
) -> LiveConstraints | None:
    """The live constraints of one request: the policy's, with the options written in."""
    if chosen and not options:
        raise InvalidArgument(
            "this profile accepts no client options; send {} or no body", reason="unknown_option"
        )
    known = {option.name: option for option in options}
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise InvalidArgument(
            f"unknown option {unknown[0]!r}; this profile accepts: {', '.join(known)}",
            reason="unknown_option",
        )
    if live is None or not options:
        return live
    model = live.model
    config = thaw(live.config)
    for option in options:
        value = _value_of(option, chosen)
        if option.field == ("model",):
            model = value
            continue
        node = config
        for part in option.field[:-1]:
            node = node.setdefault(part, {})
        node[option.field[-1]] = value
    # Keep the documented field order, whatever order the options came in.
    ordered = {name: config[name] for name in (*GENERATION_FIELDS, *SETUP_FIELDS) if name in config}
    return dataclasses.replace(live, model=model, config=freeze(ordered))


def describe_allowed(option: ClientOption) -> str:
    if option.allowed is not None:
        return "one of: " + ", ".join(_show(value) for value in option.allowed)
    kind = "a whole number" if _field_problems(option, 0.5) else "a number"
    return f"{kind} from {option.minimum:g} to {option.maximum:g}"


def _value_of(option: ClientOption, chosen: Mapping[str, Any]) -> Any:
    if option.name not in chosen:
        if option.default is None:
            raise InvalidArgument(
                f"option {option.name!r} is required; send {describe_allowed(option)}",
                reason="option_missing",
            )
        return thaw(option.default)
    value = chosen[option.name]
    if option.allowed is not None:
        if any(same_json(value, allowed) for allowed in option.allowed):
            return value
    elif (
        is_number(value)
        and option.minimum is not None
        and option.maximum is not None
        and option.minimum <= value <= option.maximum
        and not _field_problems(option, value)
    ):
        return value
    raise InvalidArgument(
        f"option {option.name!r} must be {describe_allowed(option)}", reason="option_not_allowed"
    )


def _field_problems(option: ClientOption, value: Any) -> bool:
    """Whether a number is wrong for the field in a way a range cannot say (integers)."""
    return bool(check(_nest(option.field, value), _config_schema()))


def _nest(field: tuple[str, ...], value: Any) -> Any:
    for part in reversed(field):
        value = {part: value}
    return value


@cache
def _config_schema() -> Mapping[str, Any]:
    schema = policy_schema()
    return {"$defs": schema["$defs"], "$ref": "#/$defs/liveConnectConfig"}


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(thaw(value))
