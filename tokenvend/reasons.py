"""The ``reason`` codes of the request log: the one place they are defined.

Every request writes one log line whose ``reason`` says how it ended. Operators filter
on these codes (the Terraform operations pack builds its log-based metrics and alerts
from them, and a test checks that every code Terraform uses is listed here), so a code
is renamed here or not at all.
"""

from __future__ import annotations

MINTED = "minted"
PREFLIGHT = "preflight"
INTERNAL = "internal"

# Gemini's answer or its absence: every such code starts with this prefix.
UPSTREAM_PREFIX = "upstream_"
UPSTREAM_QUOTA = "upstream_quota"
UPSTREAM_TIMEOUT = "upstream_timeout"
UPSTREAM_UNREACHABLE = "upstream_unreachable"
UPSTREAM_BROKEN = "upstream_broken"
UPSTREAM_UNREADABLE = "upstream_unreadable"
UPSTREAM_TOO_LARGE = "upstream_too_large"
UPSTREAM_ERROR = "upstream_error"  # and upstream_<HTTP status>, e.g. upstream_400

# The API key: Secret Manager's codes start with this prefix.
SECRET_PREFIX = "secret_"
SECRET_UNAVAILABLE = "secret_unavailable"
SECRET_CORRUPT = "secret_corrupt"
SECRET_EMPTY = "secret_empty"
SECRET_MALFORMED = "secret_malformed"
NO_API_KEY = "no_api_key"
API_KEY_MALFORMED = "api_key_malformed"

# Budget protection (quotas and the kill switch).
QUOTA_EXHAUSTED_CALLER = "quota_exhausted_caller"
QUOTA_EXHAUSTED_PROFILE = "quota_exhausted_profile"
PROFILE_PAUSED = "profile_paused"
QUOTA_STORE_UNAVAILABLE = "quota_store_unavailable"
# A caller's own counter written faster than Firestore sustains (429, Retry-After 2).
QUOTA_CALLER_BUSY = "quota_caller_busy"


def upstream_status(status: int) -> str:
    """The code for a Gemini answer with an unexpected HTTP status."""
    return f"{UPSTREAM_PREFIX}{status}"
