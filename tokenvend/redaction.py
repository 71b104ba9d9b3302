"""Keeping the API key out of logs, in every form an upstream might echo it.

Upstream error text (Gemini's, Secret Manager's, Firebase's) is worth logging: "API key
not valid" tells an operator what to fix. But an upstream may quote the request back,
and not always verbatim: in another letter case, URL-encoded, or only in part.
``redact`` is the one function every upstream text goes through before it is logged.

It works on the original text, comparing one character at a time in either letter
case, so text around the key that changes length when case-folded (``İ`` becomes two
characters) cannot shift where the cut falls. Any run of ``MIN_RUN_CHARS`` or more
characters of the key, wherever in the key it starts, is treated as the key.
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# A run this long of the key, from anywhere in it, is treated as the key. Shorter runs
# are not secret: every Gemini API key starts with the same four characters.
MIN_RUN_CHARS = 12
# Stands for a character whose case-folded form is longer than one character: it is
# never a character of a key, and must not match one.
_NO_MATCH = "\x00"


def redact(text: str, secret: str) -> str:
    """``text`` with every run of ``MIN_RUN_CHARS`` or more characters of ``secret``
    (exact, in any letter case, or URL-encoded) replaced by ``[redacted]``."""
    if not secret:
        return text
    covered = bytearray(len(text))  # 1 where a character belongs to a run of the key
    folded = _fold(text)
    for form in dict.fromkeys((secret, quote(secret, safe=""), quote_plus(secret))):
        _mark_runs(folded, _fold(form), covered)
    if not any(covered):
        return text
    pieces: list[str] = []
    position = 0
    while position < len(text):
        end = position
        if covered[position]:
            while end < len(text) and covered[end]:
                end += 1
            pieces.append(REDACTED)
        else:
            while end < len(text) and not covered[end]:
                end += 1
            pieces.append(text[position:end])
        position = end
    return "".join(pieces)


def _fold(text: str) -> str:
    """Each character case-folded in place: the result is exactly as long as ``text``."""
    return "".join(
        folded if len(folded := character.casefold()) == 1 else _NO_MATCH for character in text
    )


def _mark_runs(folded_text: str, folded_secret: str, covered: bytearray) -> None:
    """Marks each window of the text equal to one of the secret's (all of it, if shorter)."""
    width = min(MIN_RUN_CHARS, len(folded_secret))
    windows = {
        folded_secret[start : start + width] for start in range(len(folded_secret) - width + 1)
    }
    for start in range(len(folded_text) - width + 1):
        if folded_text[start : start + width] in windows:
            covered[start : start + width] = b"\x01" * width
