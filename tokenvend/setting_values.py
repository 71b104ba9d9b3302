"""How the text of one environment variable becomes a typed value.

Each parser takes the stripped text and returns the value, or raises ``Invalid`` whose
message completes "VARIABLE must be ...". ``tokenvend.settings`` pairs them with the
variables; nothing here knows a variable's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tokenvend.policy.model import PROFILE_NAME

API_VERSIONS = ("v1alpha", "v1beta")
MAX_PAUSE_AT_PERCENT = 1000.0

_SECRET_NAME = re.compile(r"^projects/[^/\s]+/secrets/[^/\s]+(/versions/[^/\s]+)?$")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$")
_DATABASE_ID = re.compile(r"^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$")
# The last part of a budget's name, billingAccounts/ACCOUNT/budgets/ID (a UUID).
_BUDGET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


class Invalid(ValueError):
    """A variable's text is not valid; the message says what would be."""


def text(raw: str) -> str:
    """Any text, as it is."""
    return raw


def matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    """A parser that takes the text as it is when it matches ``pattern``."""

    def parse(raw: str) -> str:
        if not pattern.fullmatch(raw):
            raise Invalid(what)
        return raw

    return parse


profile = matching(PROFILE_NAME, "a profile name: lowercase kebab-case, at most 40 characters")


def path(raw: str) -> Path:
    """A filesystem path; whether it exists is for its user to say."""
    return Path(raw)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parser of a whole number from ``low`` to ``high``."""

    def parse(raw: str) -> int:
        # ASCII digits only: "²".isdigit() is true, but int("²") fails.
        if not (raw.isascii() and raw.isdecimal()) or not low <= int(raw) <= high:
            raise Invalid(f"a whole number from {low} to {high}")
        return int(raw)

    return parse


def above_zero(high: float, what: str) -> Callable[[str], float]:
    """A parser of a number above 0 and at most ``high``; ``what`` says what it is."""

    def parse(raw: str) -> float:
        try:
            value = float(raw) if raw.isascii() else float("nan")
        except ValueError:
            value = float("nan")
        if not 0 < value <= high:  # NaN fails both comparisons
            raise Invalid(f"{what} above 0 and at most {high:g}")
        return value

    return parse


def seconds(high: float) -> Callable[[str], float]:
    """A parser of a duration above 0 and at most ``high`` seconds."""
    return above_zero(high, "a number of seconds")


def url(raw: str) -> str:
    """An http(s) URL, without a trailing slash."""
    value = raw.rstrip("/")
    if not value.startswith(("https://", "http://")) or len(value) < 10 or " " in value:
        raise Invalid("a URL starting with https:// (or http:// for a local stand-in)")
    return value


def secret_version(raw: str) -> str:
    """A Secret Manager version name; a secret alone means its latest version."""
    if not _SECRET_NAME.fullmatch(raw):
        raise Invalid(
            "projects/PROJECT/secrets/SECRET or projects/PROJECT/secrets/SECRET/versions/VERSION"
        )
    return raw if "/versions/" in raw else f"{raw}/versions/latest"


def api_key(raw: str) -> str:
    """An API key, without the line break a pasted one often carries."""
    return raw.strip()


def api_version(raw: str) -> str:
    """One of the Gemini API versions that mint ephemeral tokens."""
    if raw not in API_VERSIONS:
        raise Invalid("one of " + ", ".join(API_VERSIONS))
    return raw


host_port = matching(_HOST_PORT, "HOST:PORT, such as 127.0.0.1:8686")
database = matching(
    _DATABASE_ID, "(default) or a database id: 4 to 63 lowercase letters, digits, -"
)


budget_id = matching(_BUDGET_ID, "a budget id: the last part of billingAccounts/A/budgets/ID")


percent = above_zero(MAX_PAUSE_AT_PERCENT, "a percentage")


def salt(raw: str) -> bytes:
    """A salt, as the bytes of its text."""
    return raw.encode()
