"""Client options: the few settings a browser may choose, and nothing else.

The browser sends ``{"options": {"voice": "Kore"}}``. Each name must be an option of the
policy and each value one it allows; anything else is a 400 that names the option and
what is allowed. Chosen values (or the defaults) are written into the live config
before the request body and its field mask are built, so they are locked exactly like
the fields the policy configures. An option without a default must be sent.

Everything a value is checked against was worked out when the policy loaded (the
allowed values, the range, whether the field takes only integers), so a request reads
only the ``ClientOption`` dataclasses. What goes on the wire is the policy's own copy
of an allowed value, or a number the range admits, never the browser's object.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tokenvend import reasons
from tokenvend.errors import InvalidArgument
from tokenvend.jsonvalues import freeze, is_number, same_json, show, thaw
from tokenvend.policy.fields import in_wire_order
from tokenvend.policy.model import ClientOption, LiveConstraints


def apply_options(
    live: LiveConstraints | None, options: Sequence[ClientOption], chosen: Mapping[str, Any]
) -> LiveConstraints | None:
    """The live constraints of one request: the policy's, with the options written in."""
    if chosen and not options:
        raise InvalidArgument(
            "this profile accepts no client options; send {} or no body",
            reason=reasons.UNKNOWN_OPTION,
        )
    known = {option.name: option for option in options}
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise InvalidArgument(
            f"unknown option {unknown[0]!r}; this profile accepts: {', '.join(known)}",
            reason=reasons.UNKNOWN_OPTION,
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
    return dataclasses.replace(live, model=model, config=freeze(in_wire_order(config)))


def describe_allowed(option: ClientOption) -> str:
    """What an option admits, in words for messages and ``explain``: its values or its range."""
    if option.allowed is not None:
        return "one of: " + ", ".join(_show(value) for value in option.allowed)
    kind = "a whole number" if option.integer_only else "a number"
    return f"{kind} from {option.minimum:g} to {option.maximum:g}"


def _value_of(option: ClientOption, chosen: Mapping[str, Any]) -> Any:
    if option.name not in chosen:
        if option.default is None:
            raise InvalidArgument(
                f"option {option.name!r} is required; send {describe_allowed(option)}",
                reason=reasons.OPTION_MISSING,
            )
        return thaw(option.default)
    value = chosen[option.name]
    if option.allowed is not None:
        for allowed in option.allowed:
            if same_json(value, allowed):
                return thaw(allowed)
    elif _in_range(option, value):
        # The schema's integers include 20.0; send 20, as the field's type says.
        return int(value) if option.integer_only else value
    raise InvalidArgument(
        f"option {option.name!r} must be {describe_allowed(option)}",
        reason=reasons.OPTION_NOT_ALLOWED,
    )


def _in_range(option: ClientOption, value: Any) -> bool:
    """Whether a browser's value is a finite number in the range, whole if it must be."""
    if not is_number(value) or option.minimum is None or option.maximum is None:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False  # Python's JSON parser accepts NaN and Infinity; JSON has neither
    if not option.minimum <= value <= option.maximum:
        return False
    return not option.integer_only or isinstance(value, int) or value.is_integer()


def _show(value: Any) -> str:
    # Strings unquoted: "one of: Kore, Puck" reads better than "one of: 'Kore', 'Puck'".
    return value if isinstance(value, str) else show(value)
