"""Policy rules the JSON Schema cannot express, each checked as soon as it can be.

A rule compares parts of a policy: the session window with the token lifetime, the
instance bounds with each other, an origin with its scheme's default port, App Check
app ids with the project number, client options with the live config, the model and
its config with the model catalogue (``catalogue``). Each rule runs
whenever the parts it reads passed the schema, even if other parts of the file did
not, so one run reports everything the author has to fix, not one layer at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenvend.jsonvalues import is_number
from tokenvend.policy.access import app_check_problems
from tokenvend.policy.catalogue import model_problems
from tokenvend.policy.option_rules import option_problems
from tokenvend.policy.schema import Problem
from tokenvend.policy.spend import spend_problems

_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
MAX_PORT = 65535
_UNREADABLE: Any = object()


def rule_problems(
    document: Any,
    schema_problems: list[Problem],
    schema: Mapping[str, Any],
    deploy_defaults: Mapping[str, Any],
) -> list[Problem]:
    """The rule problems of a document whose schema problems are ``schema_problems``."""
    parts = _ValidParts(document, schema_problems)
    problems = _token_window(parts) + _default_ports(parts)
    low = parts.number_or("deploy.min_instances", deploy_defaults["min_instances"])
    high = parts.number_or("deploy.max_instances", deploy_defaults["max_instances"])
    if _readable(low, high) and low > high:
        problems.append(("deploy.min_instances", f"must be at most max_instances ({high})"))
    app_check = parts.get("access.app_check", None)
    if _readable(app_check) and app_check is not None:
        problems += app_check_problems(app_check)
    model = parts.get("live.model")
    if _readable(model):
        # Each config field the schema passed, even if a sibling failed it.
        config = {name: parts.get(f"live.config.{name}") for name in parts.keys("live.config")}
        problems += model_problems(model, {k: v for k, v in config.items() if _readable(v)})
    if parts.get("live.instruction_must_hold", False) is True and "systemInstruction" not in (
        parts.keys("live.config")
    ):
        problems.append(
            (
                "live.instruction_must_hold",
                "needs a systemInstruction in live.config: there is no instruction to hold",
            )
        )
    quotas = parts.get("quotas", None)
    if _readable(quotas) and quotas is not None and not {"per_caller", "per_profile"} & set(quotas):
        problems.append(("quotas", "needs at least one limit: per_caller or per_profile"))
    options, live = parts.get("client_options", None), parts.get("live")
    if _readable(options, live) and options is not None:
        problems += option_problems(options, live, schema)
    return problems + _spend(parts, quotas, options, live)


def _spend(parts: _ValidParts, quotas: Any, options: Any, live: Any) -> list[Problem]:
    spend, token = parts.get("spend", None), parts.get("token")
    if parts.get("kill_switch", None) is False and (quotas or spend) is not None:
        return [
            (
                "kill_switch",
                "a profile with quotas or spend always reads the kill switch; remove "
                "kill_switch: false",
            )
        ]
    if spend is None or not _readable(spend, token, live, options, quotas):
        return []
    document = {"token": token, "live": live, "spend": spend}
    document |= {"quotas": quotas, "client_options": options}
    return spend_problems(document)


def _port(origin: str) -> int | None:
    """The port an origin names, or None when it names none (the scheme's default)."""
    authority = origin.partition("://")[2]
    host_end = authority.rfind("]")  # an IPv6 literal holds colons of its own
    _, colon, port = authority[host_end + 1 :].rpartition(":")
    return int(port) if colon else None


def _readable(*values: Any) -> bool:
    return all(value is not _UNREADABLE for value in values)


class _ValidParts:
    """Reads the parts of a document the schema found nothing wrong in."""

    def __init__(self, document: Any, schema_problems: list[Problem]) -> None:
        self._document = document
        self._bad = [path for path, _ in schema_problems]

    def keys(self, path: str) -> list[str]:
        """The keys of the mapping at a dotted path, readable or not; none if no mapping."""
        node = self._document
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return [key for key in node if isinstance(key, str)] if isinstance(node, Mapping) else []

    def get(self, path: str, default: Any = _UNREADABLE) -> Any:
        """The value at a dotted path, or ``default`` where an optional key is left out.

        _UNREADABLE when the schema found a problem in the value or below it, or when
        there is nothing to read (a missing required key is a problem of its own).
        """
        if any(bad == path or bad.startswith((f"{path}.", f"{path}[")) for bad in self._bad):
            return _UNREADABLE
        *parents, name = path.split(".")
        node = self._document
        for part in parents:
            node = node.get(part, _UNREADABLE) if isinstance(node, Mapping) else _UNREADABLE
        if not isinstance(node, Mapping):
            return _UNREADABLE
        return node.get(name, default)

    def number_or(self, path: str, default: Any) -> Any:
        """``number``, or ``default`` where the optional key is left out."""
        *parents, name = path.split(".")
        node = self._document
        for part in parents:
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        if isinstance(node, Mapping) and name not in node:
            return default
        return self.number(path)

    def number(self, path: str) -> Any:
        """The number at a path even where the schema refused it (out of range, say).

        A rule between two numbers is still worth reporting when one of them is out of
        range: the author fixes both in one go. _UNREADABLE when it is not a number.
        """
        node = self._document
        for part in path.split("."):
            node = node.get(part, _UNREADABLE) if isinstance(node, Mapping) else _UNREADABLE
        return node if is_number(node) else _UNREADABLE


def _token_window(parts: _ValidParts) -> list[Problem]:
    lifetime = parts.number("token.expire_after_seconds")
    window = parts.number("token.new_session_expire_after_seconds")
    if not _readable(lifetime, window) or window <= lifetime:
        return []
    return [
        (
            "token.new_session_expire_after_seconds",
            f"must be at most expire_after_seconds ({lifetime}), got {window}",
        )
    ]


def _default_ports(parts: _ValidParts) -> list[Problem]:
    origins = parts.get("access.allowed_origins")
    if origins is _UNREADABLE:
        return []
    problems: list[Problem] = []
    for index, origin in enumerate(origins):
        port = _DEFAULT_PORTS[origin.split("://", 1)[0]]
        # The schema refuses :0 and leading zeros (a browser never sends them); the
        # highest port is checked here.
        if (written := _port(origin)) is not None and written > MAX_PORT:
            problems.append(
                (
                    f"access.allowed_origins[{index}]",
                    f"{origin!r} names port {written}; ports go up to {MAX_PORT}",
                )
            )
        elif origin.endswith(port):
            problems.append(
                (
                    f"access.allowed_origins[{index}]",
                    f"{origin!r} names the default port; browsers omit it, so write "
                    f"{origin.removesuffix(port)!r}",
                )
            )
    return problems
