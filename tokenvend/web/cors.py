"""Exact-origin CORS: which browser pages may call the function.

Only origins listed in the policy are echoed back, never ``*``. A browser request from
any other origin is refused with 403 and no CORS headers, so the page cannot read even
the error. Requests without ``Origin`` do not come from a browser page and get no CORS
headers; the caller checks decide about them. General CORS libraries answer an unlisted
origin by leaving the headers out and serving the request anyway, which is the
behaviour this module exists to prevent.
"""

from __future__ import annotations

from tokenvend.errors import OriginNotAllowed

ALLOWED_METHODS = ("POST", "OPTIONS")
ALLOWED_HEADERS = "Authorization, Content-Type, X-Firebase-AppCheck"
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate"
PREFLIGHT_MAX_AGE_SECONDS = 3600


class Cors:
    """The CORS answers of one policy: its exact origins are echoed, any other gets 403."""

    def __init__(self, allowed_origins: frozenset[str]) -> None:
        self._allowed_origins = allowed_origins

    def check(self, origin: str | None) -> None:
        """Refuse a browser request from an origin the policy does not list."""
        if origin is not None and origin not in self._allowed_origins:
            raise OriginNotAllowed()

    def response_headers(self, origin: str | None) -> dict[str, str]:
        # Vary on every response: a shared cache must not serve one origin's answer
        # (with its Access-Control-Allow-Origin) to another.
        headers = {"Vary": "Origin"}
        if origin is not None and origin in self._allowed_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return headers

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        headers = self.response_headers(origin)
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
            headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
        return headers
