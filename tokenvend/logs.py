"""One JSON object per line on stdout, in Cloud Logging's structured format.

Cloud Run turns each line into a log entry: ``severity`` and ``message`` become the
entry's own fields, the rest lands in ``jsonPayload``, and
``logging.googleapis.com/trace`` links the entry to the request's trace.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO


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
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line)
            stream.flush()

    def trace_fields(self, trace_header: str | None) -> dict[str, str]:
        """Log fields for an ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` header."""
        if not trace_header:
            return {}
        trace_id, _, rest = trace_header.partition("/")
        if not trace_id.isalnum():
            return {}
        fields = {"trace_id": trace_id}
        if self._project_id:
            fields["logging.googleapis.com/trace"] = (
                f"projects/{self._project_id}/traces/{trace_id}"
            )
        span_id = rest.partition(";")[0]
        if span_id.isdigit():
            fields["logging.googleapis.com/spanId"] = span_id
        return fields


# The one line each request ends with (web/endpoint.py) carries event=REQUEST_EVENT. The
# Terraform operations pack counts requests from those lines only (terraform/ops_reasons.tf):
# a warning logged on the way (the quota store down, a key refresh failing) has a reason
# too, but no request ended with it. No other line may carry this event.
REQUEST_EVENT = "request"
