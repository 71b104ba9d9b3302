"""Reads the API key from Secret Manager through the official client's REST transport.

The REST transport lets tests point the real client at a loopback fake; an ``http://``
endpoint implies anonymous credentials because nothing real listens there. Retries and
timeouts are set here on purpose: the client's defaults can wait a minute, and a browser
is waiting. The client does not check the payload's CRC32C; this module does, with
``google-crc32c`` (Google's C implementation), and refuses a payload that comes without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import google_crc32c

from tokenvend import reasons
from tokenvend.errors import ConfigurationError, Unavailable
from tokenvend.gemini.api_key import usable_as_api_key
from tokenvend.logs import StructuredLog
from tokenvend.settings import env_name

if TYPE_CHECKING:
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

CALL_TIMEOUT_SECONDS = 2.0
RETRY_DEADLINE_SECONDS = 3.0


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum Secret Manager sends as ``dataCrc32c``."""
    value: int = google_crc32c.value(data)
    return value


class SecretManagerKey:
    """Fetches one secret version's payload as the API key; call it through CachedApiKey."""

    def __init__(self, version_name: str, *, endpoint: str | None, log: StructuredLog) -> None:
        self.version_name = version_name
        self._log = log
        self._client = _make_client(endpoint)
        from google.api_core import retry

        self._retry = retry.Retry(
            initial=0.1,
            maximum=1.0,
            multiplier=2.0,
            timeout=RETRY_DEADLINE_SECONDS,
            predicate=retry.if_transient_error,
        )

    def __call__(self) -> str:
        from google.api_core import exceptions

        try:
            response = self._client.access_secret_version(
                name=self.version_name, retry=self._retry, timeout=CALL_TIMEOUT_SECONDS
            )
        except Exception as error:
            # Whatever fails (an API error, refreshing Google credentials, a reply the
            # client cannot parse), the key source is out and the cache's grace time
            # applies. Only the API's own messages are logged: a parse error's text may
            # quote the payload, which is the key.
            detail = error.message if isinstance(error, exceptions.GoogleAPICallError) else None
            self._log.emit(
                "ERROR",
                "cannot read the API key from Secret Manager",
                secret=self.version_name,
                error=type(error).__name__,
                detail=detail or None,
            )
            raise Unavailable(reason=reasons.SECRET_UNAVAILABLE) from error
        data: bytes = response.payload.data
        # An unset optional field reads as 0, so ask whether it was sent at all. Secret
        # Manager always sends it; a reply without it cannot be checked, so it is refused.
        if "data_crc32c" not in response.payload:
            self._log.emit(
                "ERROR", "the API key payload came without its CRC32C", secret=self.version_name
            )
            raise Unavailable(reason=reasons.SECRET_CORRUPT)
        if crc32c(data) != response.payload.data_crc32c:
            self._log.emit(
                "ERROR", "API key payload failed its CRC32C check", secret=self.version_name
            )
            raise Unavailable(reason=reasons.SECRET_CORRUPT)
        # Undecodable bytes become U+FFFD, which the header check below refuses.
        key = data.decode("utf-8", errors="replace").strip()
        if not key:
            self._log.emit("ERROR", "the API key secret is empty", secret=self.version_name)
            raise Unavailable(reason=reasons.SECRET_EMPTY)
        if not usable_as_api_key(key):
            self._log.emit(
                "ERROR",
                "the API key secret holds characters an HTTP header cannot carry "
                "(line breaks, spaces or non-ASCII); add a version with the key alone",
                secret=self.version_name,
            )
            raise Unavailable(reason=reasons.SECRET_MALFORMED)
        return key


def _make_client(endpoint: str | None) -> SecretManagerServiceClient:
    from google.api_core.client_options import ClientOptions
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

    if endpoint is None:
        from google.auth.exceptions import DefaultCredentialsError

        try:
            return SecretManagerServiceClient(transport="rest")
        except DefaultCredentialsError as error:
            secret, key = env_name("api_key_secret"), env_name("gemini_api_key")
            raise ConfigurationError(
                f"{secret} is set but no Google credentials were found to read it: run "
                f"'gcloud auth application-default login', or for a local run unset {secret} "
                f"and set {key}"
            ) from error
    credentials = None
    if endpoint.startswith("http://"):
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    return SecretManagerServiceClient(
        transport="rest",
        credentials=credentials,
        client_options=ClientOptions(api_endpoint=endpoint),
    )
