"""One error hierarchy for everything tokenvend refuses or fails to do.

Each class declares the HTTP status, the Google API ``status`` string and the public
message a browser may see. Messages are written for the caller and never carry the API
key, a minted token or upstream detail; ``reason`` is a short code for the request log
(``reasons.py``; the response carries ``public_reason``), and ``detail``, when set,
tells the operator more in the same log line and never reaches the response. The
endpoint is the one place that turns these into responses.
"""

from __future__ import annotations

from tokenvend import reasons
from tokenvend.jsonvalues import printable


class TokenvendError(Exception):
    """Root of every error tokenvend raises on purpose."""

    http_status = 500
    status = "INTERNAL"
    public_message = "internal error"
    reason = reasons.INTERNAL
    # Whether a page on an allowed origin may read the error (gets CORS headers).
    readable_cross_origin = True

    def __init__(
        self,
        public_message: str | None = None,
        *,
        reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.public_message = public_message or type(self).public_message
        self.reason = reason or type(self).reason
        self.detail = detail
        super().__init__(self.public_message)

    def response_headers(self) -> dict[str, str]:
        """Headers the response must carry besides the JSON body."""
        return {}

    @property
    def public_reason(self) -> str:
        """The reason the caller may read: the logged one if it is public, else its class's.

        ``reasons.PUBLIC`` says which codes a caller may see; a refused signature, say,
        reads as ``unauthenticated``, the nearest class's public code.
        """
        if self.reason in reasons.PUBLIC:
            return self.reason
        for kind in type(self).__mro__:
            declared = vars(kind).get("reason")
            if declared in reasons.PUBLIC:
                return str(declared)
        return reasons.INTERNAL


class ConfigurationError(TokenvendError):
    """The instance is set up wrongly (environment); it refuses to start."""

    reason = reasons.CONFIGURATION


class PolicyError(ConfigurationError):
    """A policy file is invalid; every problem of the file is listed at once.

    The message is printed on terminals and logged: each of its lines is escaped
    (``printable``), so a file name or a key with a line break or a terminal escape in
    it cannot forge a line of its own.
    """

    reason = reasons.POLICY

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = [f"{printable(source)}: {count}"]
        lines += [f"  {printable(path)}: {printable(message)}" for path, message in problems]
        super().__init__("\n".join(lines))


class InvalidArgument(TokenvendError):
    """The request body or its client options are malformed, unknown or outside the policy."""

    http_status = 400
    status = "INVALID_ARGUMENT"
    public_message = "invalid request"
    reason = reasons.INVALID_ARGUMENT


class Unauthenticated(TokenvendError):
    """The credential is missing, forged, expired or replayed (401, with ``WWW-Authenticate``)."""

    http_status = 401
    status = "UNAUTHENTICATED"
    public_message = "missing or invalid credential"
    reason = reasons.UNAUTHENTICATED

    def response_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="tokenvend"'}


class PermissionDenied(TokenvendError):
    """A valid credential whose account or app the policy does not allow."""

    http_status = 403
    status = "PERMISSION_DENIED"
    public_message = "permission denied"
    reason = reasons.PERMISSION_DENIED


class OriginNotAllowed(PermissionDenied):
    """A browser page on an origin the policy does not list; it may not even read this."""

    public_message = "origin not allowed"
    reason = reasons.ORIGIN_NOT_ALLOWED
    readable_cross_origin = False


class MethodNotAllowed(TokenvendError):
    """A request with a method other than POST or OPTIONS; ``Allow`` lists the ones accepted."""

    http_status = 405
    status = "METHOD_NOT_ALLOWED"
    public_message = "method not allowed"
    reason = reasons.METHOD_NOT_ALLOWED

    def __init__(self, allowed_methods: tuple[str, ...]) -> None:
        super().__init__(f"only {' and '.join(allowed_methods)} are allowed")
        self.allowed_methods = allowed_methods

    def response_headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed_methods)}


class PayloadTooLarge(TokenvendError):
    """The request body is over the limit, whether declared up front or found while reading."""

    http_status = 413
    status = "PAYLOAD_TOO_LARGE"
    public_message = "request body is too large"
    reason = reasons.PAYLOAD_TOO_LARGE

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"request body is larger than {limit_bytes // 1024} KiB")


class BodyTooSlow(TokenvendError):
    """The request body did not arrive within its deadline (a client trickling it)."""

    http_status = 408
    status = "DEADLINE_EXCEEDED"
    public_message = "the request body did not arrive in time"
    reason = reasons.BODY_TOO_SLOW


class UnsupportedMediaType(TokenvendError):
    """A non-empty request body that is not declared as ``application/json``."""

    http_status = 415
    status = "UNSUPPORTED_MEDIA_TYPE"
    public_message = "send the request body as application/json (or send no body)"
    reason = reasons.UNSUPPORTED_MEDIA_TYPE


class _RetryableError(TokenvendError):
    """An error the caller may retry; ``Retry-After`` says when."""

    default_retry_after_seconds = 5

    def __init__(
        self,
        public_message: str | None = None,
        *,
        reason: str | None = None,
        detail: str | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(public_message, reason=reason, detail=detail)
        self.retry_after_seconds = (
            self.default_retry_after_seconds if retry_after_seconds is None else retry_after_seconds
        )

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class ResourceExhausted(_RetryableError):
    """Gemini answered 429 (the project's quota is used up); its ``Retry-After`` is passed on."""

    http_status = 429
    status = "RESOURCE_EXHAUSTED"
    public_message = "Gemini quota exhausted; retry later"
    reason = reasons.UPSTREAM_QUOTA
    default_retry_after_seconds = 30


class QuotaExhausted(ResourceExhausted):
    """A quota of the policy is used up for this window; ``Retry-After`` is its end."""

    public_message = "token quota used up for now; retry later"
    reason = reasons.QUOTA_EXHAUSTED_CALLER


class BadGateway(TokenvendError):
    """Gemini answered with an error, a broken connection or something that is not a token."""

    http_status = 502
    status = "BAD_GATEWAY"
    public_message = "Gemini could not create a token"
    reason = reasons.UPSTREAM_ERROR


class Unavailable(_RetryableError):
    """Something needed is missing or unreachable: API key, Secret Manager, public keys, Gemini."""

    http_status = 503
    status = "UNAVAILABLE"
    public_message = "token service temporarily unavailable; retry later"
    reason = reasons.UNAVAILABLE


class DeadlineExceeded(TokenvendError):
    """Gemini did not answer (or finish answering) within the minting deadline."""

    http_status = 504
    status = "DEADLINE_EXCEEDED"
    public_message = "Gemini did not answer in time"
    reason = reasons.UPSTREAM_TIMEOUT


class ProfilePaused(Unavailable):
    """The kill switch is on (``python -m tokenvend pause``): nothing is minted."""

    public_message = "this token service is paused; retry later"
    reason = reasons.PROFILE_PAUSED
    default_retry_after_seconds = 60


class QuotaStoreUnavailable(Unavailable):
    """Firestore did not answer in time, refused, or answered something unusable.

    ``detail`` is for the log only. ``busy`` marks what one caller can cause on its own
    counter: Firestore answering that a document is written too fast (``ABORTED``, or its
    own ``DEADLINE_EXCEEDED``), or the call running out of its deadline. Anything else
    (unreachable, refused, an answer of the wrong shape) says the store is down.
    """

    reason = reasons.QUOTA_STORE_UNAVAILABLE
    detail: str

    def __init__(self, detail: str, *, busy: bool = False) -> None:
        super().__init__(detail=detail)
        self.busy = busy


class QuotaCallerBusy(QuotaExhausted):
    """The caller's own counter is written faster than Firestore sustains: slow down."""

    public_message = "too many requests; retry in a few seconds"
    reason = reasons.QUOTA_CALLER_BUSY
    default_retry_after_seconds = 2


class BudgetNotificationMalformed(TokenvendError):
    """A message on the budget topic that is not a budget notification as Google documents it.

    budget_guard logs it (``detail`` says what is wrong) and acknowledges it: a message
    that cannot be read now cannot be read on redelivery either.
    """

    http_status = 400
    status = "INVALID_ARGUMENT"
    public_message = "not a budget notification"
    reason = reasons.BUDGET_MALFORMED
    detail: str

    def __init__(self, detail: str) -> None:
        super().__init__(detail=printable(detail))
