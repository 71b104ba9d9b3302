"""One JSON object per line on stdout, in Cloud Logging's structured format.

Cloud Run turns each line into a log entry: ``severity`` and ``message`` become the
entry's own fields, the rest lands in ``jsonPayload``, and
``logging.googleapis.com/trace`` links the entry to the request's trace.

Much of what is logged comes from strangers (the ``Origin`` header, the trace header,
upstream error text), so a line must stay one line and stay small: every character
that is not printable is written as a JSON escape, including the line separators
JSON allows raw (U+2028, U+2029) and the ones other readers split on (U+0085);
values a request sent are cut with ``clipped``; a trace header is used only when it
has the documented form (``TRACE_ID/SPAN_ID;o=OPTIONS``, a 32-digit hex id).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from typing import Any, TextIO

# Origins are short; anything this long is not one a browser sent.
MAX_REQUEST_VALUE_CHARS = 200
_TRACE_CONTEXT = re.compile(r"([0-9a-fA-F]{32})(?:/([0-9]{1,20}))?(?:;o=[0-9])?")


def clipped(value: str | None, limit_chars: int = MAX_REQUEST_VALUE_CHARS) -> str | None:
    """A value from a request, cut for the log to ``limit_chars``, saying how long it was."""
    if value is None or len(value) <= limit_chars:
        return value
    return f"{value[:limit_chars]}... ({len(value)} characters)"


def one_printable_line(line: str) -> str:
    """A JSON text with every character that is not printable written as its escape."""
    if line.isprintable():
        return line
    # ensure_ascii's escape of a character is valid JSON inside a string (the only place
    # such a character can be), surrogate pairs included.
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in line)


# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class StructuredLog:
    """Writes each entry as one JSON line, under a lock so threads never interleave lines.

    Without a stream it writes to the ``sys.stdout`` of the moment (pytest's capture swaps it).
    Fields whose value is None are left out.
    """

    def __init__(self, stream: TextIO | None = None, *, project_id: str | None = None) -> None:
        self._stream = stream
        self._project_id = project_id
        self._lock = threading.Lock()

    def emit(self, severity: str, message: str, **fields: Any) -> None:
        entry = {"severity": severity, "message": message}
        entry.update((key, value) for key, value in fields.items() if value is not None)
        line = one_printable_line(_ENCODER.encode(entry)) + "\n"
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line)
            stream.flush()

    def trace_fields(self, trace_header: str | None) -> dict[str, str]:
        """Log fields for an ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` header."""
        match = _TRACE_CONTEXT.fullmatch(trace_header or "")
        if match is None:
            return {}
        trace_id, span_id = match.group(1).lower(), match.group(2)
        fields = {"trace_id": trace_id}
        if self._project_id:
            fields["logging.googleapis.com/trace"] = (
                f"projects/{self._project_id}/traces/{trace_id}"
            )
        # The header writes the span id in decimal; Cloud Logging wants the 16 hex digits
        # Cloud Trace uses (LogEntry.spanId), or it cannot link the line to its span.
        if span_id and 0 < int(span_id) < 2**64:
            fields["logging.googleapis.com/spanId"] = f"{int(span_id):016x}"
        return fields


# The one line each request ends with (web/endpoint.py) carries event=REQUEST_EVENT. The
# Terraform operations pack counts requests from those lines only (terraform/ops_reasons.tf):
# a warning logged on the way (the quota store down, a key refresh failing) has a reason
# too, but no request ended with it. No other line may carry this event.
REQUEST_EVENT = "request"
