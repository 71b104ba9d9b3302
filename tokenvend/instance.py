"""Builds one instance's endpoint from the environment, once, at cold start.

Everything here runs before the first request: read the settings, load and check the
policy, build the clients. Nothing here waits for the network: the API key is fetched
by a background thread (``CachedApiKey.prefetch``). A bad setting or policy stops the
instance with a message that names the variable, the file and the field.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tokenvend.api_key import ApiKeySource, CachedApiKey, NoApiKey, StaticApiKey
from tokenvend.callers import (
    DEFAULT_APP_CHECK_JWKS_URL,
    DEFAULT_FIREBASE_CERTS_URL,
    DEFAULT_GOOGLE_CERTS_URL,
    DEFAULT_KEY_FETCH_TIMEOUT_SECONDS,
    KeyUrls,
    caller_check_for,
)
from tokenvend.clock import Clock, SystemClock
from tokenvend.cors import Cors
from tokenvend.endpoint import Endpoint
from tokenvend.errors import ConfigurationError
from tokenvend.gemini import (
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_ENDPOINT,
    GeminiTokenMinter,
    websocket_url,
)
from tokenvend.logs import StructuredLog
from tokenvend.policy import load_profile, policy_files
from tokenvend.vendor import TokenVendor

DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
DEFAULT_API_KEY_TTL_SECONDS = 600


def endpoint_from_environment(
    environ: Mapping[str, str] = os.environ,
    *,
    clock: Clock | None = None,
    key_fetch_timeout_seconds: float = DEFAULT_KEY_FETCH_TIMEOUT_SECONDS,
) -> Endpoint:
    """The instance's endpoint; tests pass a fake ``clock`` and a short key-fetch timeout."""
    log = StructuredLog(project_id=environ.get("GOOGLE_CLOUD_PROJECT"))
    try:
        with collector_paused():
            clock = SystemClock() if clock is None else clock
            return _build(environ, log, clock, key_fetch_timeout_seconds)
    except ConfigurationError as error:
        log.emit("CRITICAL", f"tokenvend cannot start: {error}")
        raise


@contextmanager
def collector_paused() -> Iterator[None]:
    """Runs the build without the cyclic garbage collector, then freezes what it made.

    The build imports the Secret Manager client, some 45,000 objects that live as long as
    the instance; the collector would rescan them again and again while they are being
    created (about 15 % of the build here). Afterwards ``gc.freeze`` moves everything
    that exists into the permanent generation, so no later collection, in the middle of
    some request, walks them again, and gunicorn's forked worker does not touch (and
    copy) their pages to do so.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def _build(
    environ: Mapping[str, str],
    log: StructuredLog,
    clock: Clock,
    key_fetch_timeout_seconds: float,
) -> Endpoint:
    policy_dir = Path(environ.get("TOKENVEND_POLICY_DIR") or DEFAULT_POLICY_DIR)
    profile = environ.get("TOKENVEND_PROFILE", "")
    if not profile:
        names = ", ".join(path.stem for path in policy_files(policy_dir)) or "none found"
        raise ConfigurationError(
            f"TOKENVEND_PROFILE is not set; set it to a policy in {policy_dir}: {names}"
        )
    policy = load_profile(policy_dir, profile)
    gemini_endpoint = _endpoint_setting(environ, "TOKENVEND_GEMINI_ENDPOINT", DEFAULT_ENDPOINT)
    vendor = TokenVendor(
        policy,
        api_keys=_api_key_source(environ, log, clock),
        minter=GeminiTokenMinter(
            gemini_endpoint,
            log=log,
            deadline_seconds=_positive_number(
                environ, "TOKENVEND_GEMINI_TIMEOUT_SECONDS", DEFAULT_DEADLINE_SECONDS
            ),
        ),
        clock=clock,
        websocket_url=websocket_url(gemini_endpoint),
    )
    return Endpoint(
        vendor=vendor,
        cors=Cors(policy.access.allowed_origins),
        callers=caller_check_for(
            policy.access,
            urls=_key_urls(environ),
            clock=clock,
            log=log,
            salt=environ.get("TOKENVEND_SUBJECT_HASH_SALT", "").encode() or None,
            key_fetch_timeout_seconds=key_fetch_timeout_seconds,
        ),
        log=log,
    )


def _api_key_source(environ: Mapping[str, str], log: StructuredLog, clock: Clock) -> ApiKeySource:
    # Checked whatever the key source, so a typo fails where it is made, not at deploy.
    ttl_seconds = _positive_int(
        environ, "TOKENVEND_API_KEY_TTL_SECONDS", DEFAULT_API_KEY_TTL_SECONDS
    )
    secret = environ.get("TOKENVEND_API_KEY_SECRET", "")
    if secret:
        # Imported here: the Secret Manager client is the heaviest import of all, and a
        # local run with GEMINI_API_KEY does not need it.
        from tokenvend.secret_manager import SecretManagerKey

        endpoint = environ.get("TOKENVEND_SECRET_MANAGER_ENDPOINT") or None
        cache = CachedApiKey(
            SecretManagerKey(secret, endpoint=endpoint, log=log),
            clock=clock,
            log=log,
            ttl_seconds=ttl_seconds,
        )
        # The request that woke the instance should not also wait for Secret Manager.
        cache.prefetch()
        return cache
    key = environ.get("GEMINI_API_KEY", "").strip()
    return StaticApiKey(key) if key else NoApiKey()


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigurationError(f"{name} must be a whole number of seconds above 0, got {raw!r}")
    return int(raw)


def _positive_number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 60:
        raise ConfigurationError(f"{name} must be a number of seconds from 0 to 60, got {raw!r}")
    return value


def _key_urls(environ: Mapping[str, str]) -> KeyUrls:
    """Where the caller checks fetch public keys; only read by the kinds that need them."""
    return KeyUrls(
        firebase_certs=_endpoint_setting(
            environ, "TOKENVEND_FIREBASE_CERTS_URL", DEFAULT_FIREBASE_CERTS_URL
        ),
        google_certs=_endpoint_setting(
            environ, "TOKENVEND_GOOGLE_CERTS_URL", DEFAULT_GOOGLE_CERTS_URL
        ),
        app_check_jwks=_endpoint_setting(
            environ, "TOKENVEND_APP_CHECK_JWKS_URL", DEFAULT_APP_CHECK_JWKS_URL
        ),
    )


def _endpoint_setting(environ: Mapping[str, str], name: str, default: str) -> str:
    value = (environ.get(name) or default).rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"{name} must start with https:// or http://, got {value!r}")
    return value
