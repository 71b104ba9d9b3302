"""Keeping the API key out of logs, in every form an upstream might echo it.

Upstream error text (Gemini's, Secret Manager's) is worth logging: "API key not valid"
tells an operator what to fix. But an upstream may quote the request back, and not
always verbatim: lowercased, URL-encoded, or cut short. ``redact`` is the one function
that every upstream text goes through before it is logged.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# A run this long of the key's start is treated as the key. Shorter runs are not secret:
# every Gemini API key starts with the same four characters.
MIN_PREFIX_CHARS = 10


def redact(text: str, secret: str) -> str:
    """``text`` with every run of ``MIN_PREFIX_CHARS`` or more of ``secret``'s start
    (exact, in any letter case, or URL-encoded) replaced by ``[redacted]``."""
    if not secret:
        return text
    for form in dict.fromkeys((secret, quote(secret, safe=""), quote_plus(secret))):
        text = _redact_prefixes(text, form)
    return text


def _redact_prefixes(text: str, form: str) -> str:
    needle = form.casefold()
    shortest = min(len(needle), MIN_PREFIX_CHARS)
    start_of_key = needle[:shortest]
    folded = text.casefold()
    if len(folded) != len(text):  # a few characters change length when folded
        folded, needle, start_of_key = text.lower(), form.lower(), form.lower()[:shortest]
    pieces: list[str] = []
    position = 0
    while (found := folded.find(start_of_key, position)) >= 0:
        end = found + shortest
        while (
            end - found < len(needle) and end < len(folded) and (folded[end] == needle[end - found])
        ):
            end += 1
        pieces += [text[position:found], REDACTED]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
