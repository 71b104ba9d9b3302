"""The model catalogue: which Live models exist, their status, and the config they reject.

The facts live in one data file, ``models.json``, with its sources and the date they
were checked; this module reads it once (a memo of constant data, like the schema) and
turns it into policy problems. A retired model is a problem naming its replacement; a
field or value the model rejects is a problem naming the model, the field and what to
write instead. A model the catalogue does not know (a tuned model, one newer than the
file) is not a problem here: ``cli/lint.py`` warns about it, so ``validate --strict``
refuses it while cold start still serves it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tokenvend.jsonvalues import same_json, show
from tokenvend.policy.schema import Problem

CATALOGUE_PATH = Path(__file__).with_name("models.json")
_ANY = "any"


@dataclass(frozen=True)
class ConfigRule:
    """One thing a model rejects: a field whatever its value, or some of its values."""

    field: str  # dotted LiveConnectConfig path
    refuse: str | tuple[Any, ...] | None  # "any", or the values refused
    allow: tuple[Any, ...] | None  # the only values accepted
    instead: str

    def rejects(self, value: Any) -> bool:
        if self.refuse == _ANY:
            return True
        if isinstance(self.refuse, tuple) and any(same_json(value, v) for v in self.refuse):
            return True
        return self.allow is not None and not any(same_json(value, v) for v in self.allow)


@dataclass(frozen=True)
class ModelEntry:
    """What the catalogue knows of one model: status, dates, the config it rejects, defaults."""

    name: str
    status: str  # stable | preview | retired
    about: str = ""
    since: str = ""
    retired_on: str = ""
    replacement: str = ""
    rules: tuple[ConfigRule, ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Every known model by name, the default model, and the day the facts were checked."""

    checked_on: str
    default_model: str
    models: Mapping[str, ModelEntry]

    def lookup(self, model: str) -> ModelEntry | None:
        """The entry of a policy's model name (with or without ``models/``), if known."""
        return self.models.get(model.removeprefix("models/"))


@cache
def model_catalogue() -> Catalogue:
    """The catalogue in ``models.json``, read once."""
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    rule_sets = data["rule_sets"]
    models = {}
    for name, entry in data["models"].items():
        # A misspelt rule set must fail loudly, not leave a model without its rules.
        rule_set = rule_sets[entry["rule_set"]] if "rule_set" in entry else {}
        models[name] = ModelEntry(
            name=name,
            status=entry["status"],
            about=entry.get("about", ""),
            since=entry.get("since", ""),
            retired_on=entry.get("retired_on", ""),
            replacement=entry.get("replacement", ""),
            rules=tuple(_rule(rule) for rule in rule_set.get("rules", [])),
            defaults=tuple(rule_set.get("defaults", {}).items()),
        )
    return Catalogue(data["checked_on"], data["default_model"], models)


def _rule(rule: Mapping[str, Any]) -> ConfigRule:
    refuse, allow = rule.get("refuse"), rule.get("allow")
    if (refuse is None) == (allow is None):
        raise ValueError(f"catalogue rule for {rule['field']} needs refuse or allow, not both")
    return ConfigRule(
        field=rule["field"],
        refuse=refuse if refuse in (None, _ANY) else tuple(refuse),
        allow=None if allow is None else tuple(allow),
        instead=rule["instead"],
    )


def model_problems(model: str, config: Mapping[str, Any], where: str = "live") -> list[Problem]:
    """What the catalogue says is wrong with ``model`` and its ``config``; empty if fine.

    A model the catalogue does not know has no problems here (see ``cli/lint.py``).
    """
    entry = model_catalogue().lookup(model)
    if entry is None:
        return []
    if entry.status == "retired":
        when = f"was shut down on {entry.retired_on}" if entry.retired_on else "is retired"
        return [(f"{where}.model", f"{model} {when}; use {entry.replacement}")]
    problems: list[Problem] = []
    for rule in entry.rules:
        value = _value_at(config, rule.field)
        if value is _ABSENT or not rule.rejects(value):
            continue
        shown = "" if rule.refuse == _ANY else f" {show(value)}"
        problems.append(
            (
                f"{where}.config.{rule.field}",
                f"{entry.name} rejects {rule.field}{shown}; {rule.instead}",
            )
        )
    return problems


def describe_model(model: str) -> list[str]:
    """Lines for ``explain``: the model's status, and the defaults it applies."""
    catalogue = model_catalogue()
    entry = catalogue.lookup(model)
    checked = f"(model catalogue checked on {catalogue.checked_on})"
    if entry is None:
        return [f"  {model}: not in the model catalogue {checked}; its config is not checked"]
    status = entry.status + (f" since {entry.since}" if entry.since else "")
    if entry.status == "retired":
        status += f", use {entry.replacement}"
    lines = [f"  {entry.name}: {status} {checked}"]
    if entry.about:
        lines.append(f"    {entry.about}")
    lines += [f"    default {field}: {value}" for field, value in entry.defaults]
    return lines


_ABSENT: Any = object()


def _value_at(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _ABSENT
        node = node[part]
    return node
