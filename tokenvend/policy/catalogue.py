"""The model catalogue: which Live models exist, their status, and the config they reject.

The facts live in one data file, ``models.json``, with their sources and the date they
were checked; this module reads it once (a memo of constant data, like the schema) and
turns it into policy problems and warnings. A retired model is a problem naming its
replacement; a field or value the model rejects is a problem naming the model, the
field and what to write instead. Where Google has not said whether a model takes a
field, the rule is marked ``warn``: ``cli/lint.py`` warns, so ``validate --strict``
refuses it while cold start still serves it. A model the catalogue does not know (a
tuned model, one newer than the file) is a warning of the same kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from tokenvend.jsonvalues import same_json, show
from tokenvend.policy.schema import Problem

CATALOGUE_PATH = Path(__file__).with_name("models.json")
STALE_AFTER_DAYS = 90
_ANY = "any"


@dataclass(frozen=True)
class ConfigRule:
    """One thing a model rejects: a field whatever its value, some values, or its absence.

    ``warn`` rules are what Google has not confirmed: lint reports them, the loader does not.
    """

    field: str  # dotted LiveConnectConfig path
    refuse: str | tuple[Any, ...] | None  # "any", or the values refused
    allow: tuple[Any, ...] | None  # the only values accepted
    instead: str
    require: bool = False  # the field must be set
    warn: bool = False

    def rejects(self, value: Any) -> bool:
        """Whether ``value`` (``ABSENT`` when the field is not set) breaks this rule."""
        if value is ABSENT:
            return self.require
        if self.refuse == _ANY:
            return True
        if isinstance(self.refuse, tuple) and any(same_json(value, v) for v in self.refuse):
            return True
        return self.allow is not None and not any(same_json(value, v) for v in self.allow)


@dataclass(frozen=True)
class Shutdown:
    """An announced shutdown; ``confirmed`` when Google's deprecations table lists it."""

    date: str
    confirmed: bool
    about: str = ""


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
    shutdown: Shutdown | None = None
    sources: tuple[str, ...] = ()
    checked_on: str = ""


@dataclass(frozen=True)
class Catalogue:
    """Every known model by name, the default model, and the day the facts were checked."""

    checked_on: str
    default_model: str
    models: Mapping[str, ModelEntry]
    refresh: str = ""  # where the file says how to refresh it

    def lookup(self, model: str) -> ModelEntry | None:
        """The entry of a policy's model name (with or without ``models/``), if known."""
        return self.models.get(model.removeprefix("models/"))

    def staleness(self, today: date) -> str | None:
        """A sentence saying the catalogue is out of date on ``today``, or None if it is not."""
        checked = date.fromisoformat(self.checked_on)
        age_days = (today - checked).days
        if age_days <= STALE_AFTER_DAYS:
            return None
        return (
            f"the model catalogue ({CATALOGUE_PATH.name}) was checked on {self.checked_on}, "
            f"{age_days} days ago (more than {STALE_AFTER_DAYS}): models may have been "
            f"retired or added since; recheck it against Google's model and deprecation "
            f"pages and update checked_on ({self.refresh} says how)"
        )


@cache
def model_catalogue() -> Catalogue:
    """The catalogue in ``models.json``, read once."""
    return parse_catalogue(json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")))


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """The catalogue a ``models.json`` document describes; a mistake in it fails loudly."""
    rule_sets = data["rule_sets"]
    models = {}
    for name, entry in data["models"].items():
        # A misspelt rule set must fail loudly, not leave a model without its rules.
        sets = [rule_sets[set_name] for set_name in entry.get("rule_sets", [])]
        shutdown = entry.get("shutdown")
        models[name] = ModelEntry(
            name=name,
            status=entry["status"],
            about=entry.get("about", ""),
            since=entry.get("since", ""),
            retired_on=entry.get("retired_on", ""),
            replacement=entry.get("replacement", ""),
            rules=tuple(_rule(rule) for rule_set in sets for rule in rule_set.get("rules", [])),
            defaults=tuple(
                item for rule_set in sets for item in rule_set.get("defaults", {}).items()
            ),
            shutdown=None if shutdown is None else Shutdown(**shutdown),
            sources=tuple(entry.get("sources", ())),
            checked_on=entry.get("checked_on", ""),
        )
    return Catalogue(data["checked_on"], data["default_model"], models, data.get("refresh", ""))


def _rule(rule: Mapping[str, Any]) -> ConfigRule:
    refuse, allow, require = rule.get("refuse"), rule.get("allow"), rule.get("require", False)
    if [refuse is not None, allow is not None, require].count(True) != 1:
        raise ValueError(f"catalogue rule for {rule['field']} needs one of refuse, allow, require")
    return ConfigRule(
        field=rule["field"],
        refuse=refuse if refuse in (None, _ANY) else tuple(refuse),
        allow=None if allow is None else tuple(allow),
        instead=rule["instead"],
        require=require,
        warn=rule.get("warn", False),
    )


def model_problems(model: str, config: Mapping[str, Any], where: str = "live") -> list[Problem]:
    """What the catalogue says is wrong with ``model`` and its ``config``; empty if fine.

    A model the catalogue does not know, and a rule marked ``warn``, are not problems
    here: ``model_warnings`` reports them.
    """
    entry = model_catalogue().lookup(model)
    if entry is None:
        return []
    if entry.status == "retired":
        when = f"was shut down on {entry.retired_on}" if entry.retired_on else "is retired"
        return [(f"{where}.model", f"{model} {when}; use {entry.replacement}")]
    return _broken_rules(entry, config, where, warn=False)


def model_warnings(model: str, config: Mapping[str, Any], where: str = "live") -> list[Problem]:
    """What the catalogue is unsure of: ``warn`` rules broken and an announced shutdown."""
    entry = model_catalogue().lookup(model)
    if entry is None or entry.status == "retired":
        return []
    warnings = _broken_rules(entry, config, where, warn=True)
    if entry.shutdown is not None:
        shutdown = entry.shutdown
        said = "announced" if shutdown.confirmed else "announced, not confirmed for this model"
        replace = f"; move to {entry.replacement}" if entry.replacement else ""
        warnings.insert(
            0,
            (
                f"{where}.model",
                f"{entry.name}: a shutdown on {shutdown.date} was {said} ({shutdown.about}); "
                f"if it has happened, sessions with this model fail{replace}",
            ),
        )
    return warnings


def _broken_rules(
    entry: ModelEntry, config: Mapping[str, Any], where: str, *, warn: bool
) -> list[Problem]:
    found: list[Problem] = []
    for rule in entry.rules:
        value = _value_at(config, rule.field)
        if rule.warn != warn or not rule.rejects(value):
            continue
        path = f"{where}.config.{rule.field}"
        if rule.require:
            found.append((path, f"{entry.name} needs {rule.field}; {rule.instead}"))
            continue
        shown = "" if rule.refuse == _ANY else f" {show(value)}"
        verb = "may not take" if warn else "rejects"
        found.append((path, f"{entry.name} {verb} {rule.field}{shown}; {rule.instead}"))
    return found


def takes_field(model: str, field: str) -> bool:
    """False when the catalogue refuses ``field`` whatever its value for ``model``."""
    entry = model_catalogue().lookup(model)
    return entry is None or not any(
        rule.field == field and rule.refuse == _ANY and not rule.warn for rule in entry.rules
    )


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


ABSENT: Any = object()


def _value_at(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ABSENT
        node = node[part]
    return node
