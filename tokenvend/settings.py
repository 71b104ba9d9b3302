"""Every environment variable the function reads, parsed once into frozen settings.

Each setting is declared once, as a field of ``Settings``: its variable, what it means,
its default and how its text is parsed. ``Settings.from_environ`` reads them all at cold
start and reports every bad value at once, naming the variable and what would be valid;
nothing past this module reads ``os.environ``. ``python -m tokenvend settings`` prints
the same declarations, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenvend import setting_values as parsers
from tokenvend.errors import ConfigurationError

DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"


def _setting(
    env: str,
    meaning: str,
    parse: Callable[[str], Any],
    default: Any = None,
    *,
    secret: bool = False,
) -> Any:
    """A field of Settings: read from ``env`` with ``parse``; ``default`` when unset."""
    metadata = {"env": env, "meaning": meaning, "parse": parse, "secret": secret}
    return field(default=default, metadata=metadata, repr=not secret)


@dataclass(frozen=True)
class Settings:
    """The instance's configuration, as parsed from its environment at cold start."""

    profile: str = _setting(
        "TOKENVEND_PROFILE",
        "profile to serve: a policy file's name (required)",
        parsers.profile,
        "",
    )
    policy_dir: Path = _setting(
        "TOKENVEND_POLICY_DIR", "folder of policy files", parsers.path, DEFAULT_POLICY_DIR
    )
    api_key_secret: str | None = _setting(
        "TOKENVEND_API_KEY_SECRET",
        "Secret Manager secret holding the Gemini API key (version defaults to latest)",
        parsers.secret_version,
    )
    gemini_api_key: str | None = _setting(
        "GEMINI_API_KEY",
        "the API key itself, for local runs only; used when TOKENVEND_API_KEY_SECRET is unset",
        parsers.api_key,
        secret=True,
    )
    api_key_ttl_seconds: int = _setting(
        "TOKENVEND_API_KEY_TTL_SECONDS",
        "how long a key read from Secret Manager is reused",
        parsers.whole_number(1, 86400),
        600,
    )
    gemini_endpoint: str = _setting(
        "TOKENVEND_GEMINI_ENDPOINT",
        "Gemini API base URL (tests and local runs point it at a stand-in)",
        parsers.url,
        "https://generativelanguage.googleapis.com",
    )
    gemini_api_version: str = _setting(
        "TOKENVEND_GEMINI_API_VERSION",
        "API version of auth_tokens and of the Live WebSocket the token is for",
        parsers.api_version,
        "v1alpha",
    )
    gemini_timeout_seconds: float = _setting(
        "TOKENVEND_GEMINI_TIMEOUT_SECONDS",
        "deadline of one token request to Gemini, its one retry included",
        parsers.seconds(60),
        8.0,
    )
    secret_manager_endpoint: str | None = _setting(
        "TOKENVEND_SECRET_MANAGER_ENDPOINT",
        "Secret Manager base URL; an http:// one (a stand-in) is used without credentials",
        parsers.url,
    )
    firebase_certs_url: str = _setting(
        "TOKENVEND_FIREBASE_CERTS_URL",
        "certificates that sign Firebase Auth ID tokens",
        parsers.url,
        "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
    )
    google_certs_url: str = _setting(
        "TOKENVEND_GOOGLE_CERTS_URL",
        "certificates that sign Google ID tokens",
        parsers.url,
        "https://www.googleapis.com/oauth2/v1/certs",
    )
    app_check_jwks_url: str = _setting(
        "TOKENVEND_APP_CHECK_JWKS_URL",
        "public keys (JWKS) that sign App Check tokens",
        parsers.url,
        "https://firebaseappcheck.googleapis.com/v1/jwks",
    )
    key_fetch_timeout_seconds: float = _setting(
        "TOKENVEND_KEY_FETCH_TIMEOUT_SECONDS",
        "deadline of one fetch of the public keys above",
        parsers.seconds(30),
        5.0,
    )
    subject_hash_salt: bytes | None = _setting(
        "TOKENVEND_SUBJECT_HASH_SALT",
        "salt of the caller hashes in the log and of quota caller keys; unset: random "
        "per instance in the log, a fixed built-in salt for quotas",
        parsers.salt,
        secret=True,
    )
    google_cloud_project: str | None = _setting(
        "GOOGLE_CLOUD_PROJECT",
        "project of the Firestore database and of trace links in logs",
        parsers.text,
    )
    cloud_run_service: str | None = _setting(
        "K_SERVICE",
        "set by Cloud Run (the service's name): there a kill_switch profile without "
        "GOOGLE_CLOUD_PROJECT refuses to start instead of serving without its switch",
        parsers.text,
    )
    firestore_emulator_host: str | None = _setting(
        "FIRESTORE_EMULATOR_HOST",
        "quotas talk to this Firestore emulator, without credentials",
        parsers.host_port,
    )
    firestore_database: str = _setting(
        "TOKENVEND_FIRESTORE_DATABASE",
        "Firestore database of the quotas",
        parsers.database,
        "(default)",
    )
    firestore_timeout_seconds: float = _setting(
        "TOKENVEND_FIRESTORE_TIMEOUT_SECONDS",
        "deadline of one Firestore call of the quotas and the kill switch",
        parsers.seconds(30),
        2.0,
    )
    app_check_verify_url: str = _setting(
        "TOKENVEND_APP_CHECK_VERIFY_URL",
        "Firebase App Check API base URL, for replay protection (consume: true); an "
        "http:// one (a stand-in) is used without credentials",
        parsers.url,
        "https://firebaseappcheck.googleapis.com",
    )
    trusted_proxy_hops: int = _setting(
        "TOKENVEND_TRUSTED_PROXY_HOPS",
        "proxies in front of Cloud Run (a load balancer is 1): which X-Forwarded-For "
        "entry, from the right, is the client",
        parsers.whole_number(0, 10),
        0,
    )

    budget_id: str | None = _setting(
        "TOKENVEND_BUDGET_ID",
        "budget_guard acts only on notifications of this budget (the budgetId attribute); "
        "unset: on any well-formed one",
        parsers.budget_id,
    )
    budget_pause_at_percent: float = _setting(
        "TOKENVEND_BUDGET_PAUSE_AT_PERCENT",
        "budget_guard pauses every profile once spend reaches this share of the budget",
        parsers.percent,
        100.0,
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Parses every variable; one ConfigurationError lists all that are invalid."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for setting in declared():
            raw = environ.get(setting.env, "")
            if not raw.strip():
                continue
            try:
                values[setting.name] = setting.parse(raw.strip())
            except parsers.Invalid as invalid:
                shown = "(hidden)" if setting.secret else repr(raw[:80])
                problems.append(f"{setting.env} must be {invalid}, got {shown}")
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(**values)


@dataclass(frozen=True)
class Declared:
    """One setting as declared: field, variable, meaning, default, parser."""

    name: str
    env: str
    meaning: str
    default: Any
    parse: Callable[[str], Any]
    secret: bool


def declared() -> Iterator[Declared]:
    """The settings in declaration order, for parsing and for documentation."""
    for item in dataclasses.fields(Settings):
        meta = item.metadata
        yield Declared(
            item.name, meta["env"], meta["meaning"], item.default, meta["parse"], meta["secret"]
        )


def env_name(field_name: str) -> str:
    """The variable of a setting, for messages that tell an operator what to set."""
    return next(setting.env for setting in declared() if setting.name == field_name)
