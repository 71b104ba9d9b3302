"""The composition root: one instance's endpoint, built once, at cold start.

Everything here runs before the first request: parse the settings, load and check the
policy, build the clients. Nothing here waits for the network: the API key is fetched
by a background thread (``CachedApiKey.prefetch``). A bad setting or policy stops the
instance with a message that names the variable, the file and the field.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING

import flask

from tokenvend.callers.build import caller_check_for
from tokenvend.clock import Clock, SystemClock
from tokenvend.errors import ConfigurationError
from tokenvend.gemini.api_key import ApiKeySource, CachedApiKey, NoApiKey, StaticApiKey
from tokenvend.gemini.minter import GeminiTokenMinter, websocket_url
from tokenvend.logs import StructuredLog
from tokenvend.policy.loader import load_profile, policy_files
from tokenvend.settings import Settings, env_name
from tokenvend.vendor import TokenVendor
from tokenvend.web.cors import Cors
from tokenvend.web.endpoint import Endpoint, QuotaCheck

if TYPE_CHECKING:
    from tokenvend.budget_guard.build import GuardFunction

MINT_TOKEN = "mint_token"  # noqa: S105 - an entry point's name, not a secret
BUDGET_GUARD = "budget_guard"


def served_entry_point() -> str:
    """The entry point of ``main.py`` this process serves: ``mint_token`` or ``budget_guard``.

    functions-framework names the Flask app it builds after its target and runs
    ``main.py`` inside that app's context; a plain import (no app) serves mint_token.
    That naming is functions-framework's own choice (``create_app``), not a documented
    interface: tests/quotas/test_budget_guard_process.py serves both targets with the
    pinned release and fails if it changes.
    """
    if flask.has_app_context() and flask.current_app.name == BUDGET_GUARD:
        return BUDGET_GUARD
    return MINT_TOKEN


class Instance:
    """What one process serves, built at cold start: the endpoint, or budget_guard."""

    def __init__(
        self, *, endpoint: Endpoint | None = None, guard: GuardFunction | None = None
    ) -> None:
        self._endpoint = endpoint
        self._guard = guard

    def endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise ConfigurationError(f"this process serves {BUDGET_GUARD}, not {MINT_TOKEN}")
        return self._endpoint

    def guard(self) -> GuardFunction:
        if self._guard is None:
            raise ConfigurationError(f"this process serves {MINT_TOKEN}, not {BUDGET_GUARD}")
        return self._guard


def instance_from_environment(environ: Mapping[str, str] = os.environ) -> Instance:
    """The instance of the entry point functions-framework loads ``main.py`` for."""
    if served_entry_point() == BUDGET_GUARD:
        # Imported here: a profile's function never loads the guard (nor the quota package).
        from tokenvend.budget_guard.build import guard_from_environment

        return Instance(guard=guard_from_environment(environ))
    return Instance(endpoint=endpoint_from_environment(environ))


def endpoint_from_environment(environ: Mapping[str, str] = os.environ) -> Endpoint:
    """The endpoint ``main.py`` serves: settings from the environment, the system clock.

    A bad setting or policy raises after its one CRITICAL line, which says what to fix;
    if that ends the process (it does at cold start), no traceback through
    functions-framework's loader follows it to bury the message.
    """
    try:
        settings = Settings.from_environ(environ)
    except ConfigurationError as error:
        StructuredLog().emit("CRITICAL", f"tokenvend cannot start: {error}")
        _without_traceback(error)
        raise
    try:
        return build_endpoint(settings, SystemClock())
    except ConfigurationError as error:
        _without_traceback(error)
        raise


def _without_traceback(error: ConfigurationError) -> None:
    """Should ``error`` reach the top of the process, exit (status 1) without printing it.

    Every other uncaught exception still goes to the previous hook, traceback and all.
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if value is not error:
            previous(kind, value, tb)

    sys.excepthook = hook


def build_endpoint(
    settings: Settings, clock: Clock, *, log: StructuredLog | None = None
) -> Endpoint:
    """Builds the endpoint of ``settings``; a ConfigurationError says what to fix.

    Tests pass their own clock and a log that keeps its lines.
    """
    log = log or StructuredLog(project_id=settings.google_cloud_project)
    try:
        with collector_paused():
            return _build(settings, clock, log)
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


def _build(settings: Settings, clock: Clock, log: StructuredLog) -> Endpoint:
    if not settings.profile:
        found = policy_files(settings.policy_dir)
        names = ", ".join(path.stem for path in found) or "none found"
        raise ConfigurationError(
            f"{env_name('profile')} is not set; set it to a policy in "
            f"{settings.policy_dir}: {names}"
        )
    policy = load_profile(settings.policy_dir, settings.profile)
    vendor = TokenVendor(
        policy,
        api_keys=_api_key_source(settings, log, clock),
        minter=GeminiTokenMinter(
            settings.gemini_endpoint,
            api_version=settings.gemini_api_version,
            log=log,
            deadline_seconds=settings.gemini_timeout_seconds,
        ),
        clock=clock,
        api_version=settings.gemini_api_version,
        websocket_url=websocket_url(settings.gemini_endpoint, settings.gemini_api_version),
    )
    quotas: QuotaCheck | None = None
    if policy.quotas is not None:
        # Imported here: a profile without quotas never loads the quota package.
        from tokenvend.quotas.build import quota_gate_for

        quotas = quota_gate_for(policy, settings=settings, clock=clock, log=log)
    elif policy.kill_switch:
        from tokenvend.quotas.build import pause_gate_for

        quotas = pause_gate_for(policy, settings=settings, clock=clock, log=log)
    return Endpoint(
        vendor=vendor,
        cors=Cors(policy.access.allowed_origins),
        callers=caller_check_for(policy.access, settings=settings, clock=clock, log=log),
        log=log,
        quotas=quotas,
    )


def _api_key_source(settings: Settings, log: StructuredLog, clock: Clock) -> ApiKeySource:
    if settings.api_key_secret:
        # Imported here: the Secret Manager client is the heaviest import of all, and a
        # local run with GEMINI_API_KEY does not need it.
        from tokenvend.gemini.secret_manager import SecretManagerKey

        cache = CachedApiKey(
            SecretManagerKey(
                settings.api_key_secret, endpoint=settings.secret_manager_endpoint, log=log
            ),
            clock=clock,
            log=log,
            ttl_seconds=settings.api_key_ttl_seconds,
        )
        # The request that woke the instance should not also wait for Secret Manager.
        cache.prefetch()
        return cache
    key = settings.gemini_api_key
    if key:
        return StaticApiKey(key)
    log.emit("WARNING", f"every request will get 503: {NoApiKey.how_to_configure}")
    return NoApiKey()
