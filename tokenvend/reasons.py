"""The ``reason`` codes of the request log: the one place they are defined.

Every request writes one log line whose ``reason`` says how it ended. Operators filter
on these codes (the Terraform operations pack builds its log-based metrics and alerts
from them, and a test checks that every code Terraform uses is listed here), so a code
is renamed here or not at all. No other module spells a code out (``tests/test_reasons.py``
refuses a literal one anywhere else in the package).
"""

from __future__ import annotations

MINTED = "minted"
PREFLIGHT = "preflight"
INTERNAL = "internal"
CONFIGURATION = "configuration"
POLICY = "policy"

# The request itself: method, origin, body and client options.
METHOD_NOT_ALLOWED = "method_not_allowed"
ORIGIN_NOT_ALLOWED = "origin_not_allowed"
PAYLOAD_TOO_LARGE = "payload_too_large"
BODY_TOO_SLOW = "body_too_slow"
MALFORMED_BODY = "malformed_body"  # not valid HTTP framing (a bad chunk size)
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
INVALID_ARGUMENT = "invalid_argument"
MALFORMED_JSON = "malformed_json"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_OPTION = "unknown_option"
OPTION_MISSING = "option_missing"
OPTION_NOT_ALLOWED = "option_not_allowed"

# The caller: a missing or refused credential (401), or one the policy does not allow (403).
UNAUTHENTICATED = "unauthenticated"
PERMISSION_DENIED = "permission_denied"
CREDENTIAL_MISSING = "credential_missing"
EMAIL_NOT_VERIFIED = "email_not_verified"
EMAIL_NOT_ALLOWED = "email_not_allowed"
DOMAIN_NOT_ALLOWED = "domain_not_allowed"
APP_NOT_ALLOWED = "app_not_allowed"
KEYS_UNAVAILABLE = "keys_unavailable"

# Why a signed token (ID token or App Check token) was refused.
TOKEN_MALFORMED = "token_malformed"
WRONG_ALGORITHM = "wrong_algorithm"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
WRONG_ISSUER = "wrong_issuer"
WRONG_AUDIENCE = "wrong_audience"
MISSING_CLAIM = "missing_claim"
BAD_TIME_CLAIM = "bad_time_claim"
TOKEN_EXPIRED = "token_expired"
TOKEN_USED_TOO_EARLY = "token_used_too_early"
BAD_AUTH_TIME = "bad_auth_time"
MISSING_SUBJECT = "missing_subject"

# App Check: every such code starts with this prefix, a token refusal's too
# (app_check_token_expired, ...).
APP_CHECK_PREFIX = "app_check_"
APP_CHECK_MISSING = "app_check_missing"
APP_CHECK_REFUSED = "app_check_refused"  # Firebase refused a token that passed locally
APP_CHECK_REPLAYED = "app_check_replayed"
APP_CHECK_UNAVAILABLE = "app_check_unavailable"
# Firebase refused the function itself (401/403): the account lacks the token-verifier
# role, or the App Check API is off. A misconfiguration to alert on, not a bad token.
APP_CHECK_VERIFIER_DENIED = "app_check_verifier_denied"

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
UNAVAILABLE = "unavailable"

# Budget protection (quotas and the kill switch).
QUOTA_EXHAUSTED_CALLER = "quota_exhausted_caller"
QUOTA_EXHAUSTED_PROFILE = "quota_exhausted_profile"
PROFILE_PAUSED = "profile_paused"
QUOTA_STORE_UNAVAILABLE = "quota_store_unavailable"
# A caller's own counter written faster than Firestore sustains (429, Retry-After 2).
QUOTA_CALLER_BUSY = "quota_caller_busy"


# The codes a caller may read in an error's body (``error.details[0].reason``, upper-cased
# as Google's ErrorInfo spells reasons): what an app can act on (fix the request, get a
# credential, wait for a quota window). How a credential check failed, which allowlist
# refused it and which dependency is down stay in the log: the body then names the
# error's own class (``unauthenticated``, ``permission_denied``, ``unavailable``).
PUBLIC = frozenset(
    {
        INTERNAL,
        METHOD_NOT_ALLOWED,
        ORIGIN_NOT_ALLOWED,
        PAYLOAD_TOO_LARGE,
        BODY_TOO_SLOW,
        MALFORMED_BODY,
        UNSUPPORTED_MEDIA_TYPE,
        INVALID_ARGUMENT,
        MALFORMED_JSON,
        UNKNOWN_FIELD,
        UNKNOWN_OPTION,
        OPTION_MISSING,
        OPTION_NOT_ALLOWED,
        UNAUTHENTICATED,
        PERMISSION_DENIED,
        CREDENTIAL_MISSING,
        TOKEN_EXPIRED,
        EMAIL_NOT_VERIFIED,
        APP_CHECK_MISSING,
        APP_CHECK_PREFIX + TOKEN_EXPIRED,
        UPSTREAM_QUOTA,
        UPSTREAM_TIMEOUT,
        UPSTREAM_ERROR,
        UNAVAILABLE,
        QUOTA_EXHAUSTED_CALLER,
        QUOTA_EXHAUSTED_PROFILE,
        QUOTA_CALLER_BUSY,
        PROFILE_PAUSED,
    }
)


def upstream_status(status: int) -> str:
    """The code for a Gemini answer with an unexpected HTTP status."""
    return f"{UPSTREAM_PREFIX}{status}"


def app_check(token_reason: str) -> str:
    """The code of an App Check token refused for ``token_reason`` (a token code above)."""
    return f"{APP_CHECK_PREFIX}{token_reason}"


# budget_guard: what it did with one budget notification (its log line's reason).
BUDGET_PAUSED = "budget_paused"
BUDGET_UNDER_THRESHOLD = "budget_under_threshold"
BUDGET_ALREADY_ACTED = "budget_already_acted"
BUDGET_FOREIGN = "budget_foreign"
BUDGET_MALFORMED = "budget_malformed"
BUDGET_STORE_UNAVAILABLE = "budget_store_unavailable"
