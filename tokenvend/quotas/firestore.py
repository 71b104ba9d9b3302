"""``QuotaStore`` on Firestore's REST API: one round trip per counter, no transaction.

A counter is one ``documents:commit`` whose single write sets ``expire_at`` and applies
an ``increment`` transform to ``count``; the answer's ``transformResults`` carry the new
value. That is atomic under any contention and never retried by a transaction (which
would fail under exactly the load quotas exist for). The kill switch is one document
read. The session is google-auth's ``AuthorizedSession`` (requests underneath, already
a runtime dependency), created on first use; with ``FIRESTORE_EMULATOR_HOST`` it is a
plain session that sends the emulator's ``Bearer owner``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from tokenvend.errors import ConfigurationError, QuotaStoreUnavailable
from tokenvend.quotas.store import COUNTERS, PROFILES
from tokenvend.settings import Settings, env_name

PRODUCTION_URL = "https://firestore.googleapis.com/v1"
SCOPE = "https://www.googleapis.com/auth/datastore"
EMULATOR_PROJECT = "demo-tokenvend"


class FirestoreStore:
    """The ``QuotaStore`` of the function: Firestore's REST API, every call under a deadline."""

    def __init__(
        self,
        session_factory: Callable[[], tuple[requests.Session, str]],
        *,
        base_url: str,
        database: str,
        deadline_seconds: float,
    ) -> None:
        self._session_factory = session_factory
        self._base_url = base_url
        self._database = database
        self._deadline = deadline_seconds
        self._session: requests.Session | None = None
        self._documents = ""
        self._lock = threading.Lock()

    def increment(self, counter: str, expire_at: datetime) -> int:
        name = f"{self._documents_path()}/{COUNTERS}/{counter}"
        write = {
            "update": {
                "name": name,
                "fields": {"expire_at": {"timestampValue": _rfc3339(expire_at)}},
            },
            "updateMask": {"fieldPaths": ["expire_at"]},
            "updateTransforms": [{"fieldPath": "count", "increment": {"integerValue": "1"}}],
        }
        answer = self._call("POST", f"{self._documents_path()}:commit", {"writes": [write]})
        try:
            return int(answer["writeResults"][0]["transformResults"][0]["integerValue"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise QuotaStoreUnavailable("commit answer without the counter's value") from None

    def paused(self, profile: str) -> bool:
        path = f"{self._documents_path()}/{PROFILES}/{profile}"
        answer = self._call("GET", path, None, missing_ok=True)
        return bool(answer.get("fields", {}).get("paused", {}).get("booleanValue", False))

    def set_paused(self, profile: str, paused: bool) -> None:
        path = f"{self._documents_path()}/{PROFILES}/{profile}"
        fields = {
            "paused": {"booleanValue": paused},
            "changed_at": {"timestampValue": _rfc3339(datetime.now(UTC))},
        }
        query = "?updateMask.fieldPaths=paused&updateMask.fieldPaths=changed_at"
        self._call("PATCH", path + query, {"fields": fields})

    def _documents_path(self) -> str:
        self._connect()
        return self._documents

    def _connect(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                try:
                    session, project = self._session_factory()
                except Exception as error:  # noqa: BLE001 - google-auth raises many kinds
                    raise QuotaStoreUnavailable(
                        f"no credentials for Firestore: {type(error).__name__}"
                    ) from None
                self._documents = f"projects/{project}/databases/{self._database}/documents"
                self._session = session
            return self._session

    def _call(
        self, method: str, path: str, body: Any, *, missing_ok: bool = False
    ) -> dict[str, Any]:
        session = self._connect()
        try:
            response = session.request(
                method, f"{self._base_url}/{path}", json=body, timeout=self._deadline
            )
        except requests.Timeout:
            raise QuotaStoreUnavailable("Firestore did not answer in time") from None
        except (requests.RequestException, OSError) as error:
            raise QuotaStoreUnavailable(f"Firestore unreachable: {type(error).__name__}") from None
        except Exception as error:  # noqa: BLE001 - credential refresh errors of google-auth
            raise QuotaStoreUnavailable(f"Firestore call failed: {type(error).__name__}") from None
        if missing_ok and response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise QuotaStoreUnavailable(f"Firestore answered HTTP {response.status_code}")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            raise QuotaStoreUnavailable("Firestore answered with something not JSON") from None
        return answer


def firestore_store(settings: Settings) -> FirestoreStore:
    """The store the settings name: the emulator's, or the project's real database."""
    emulator = settings.firestore_emulator_host
    if emulator:
        local_project = settings.google_cloud_project or EMULATOR_PROJECT

        def emulator_session() -> tuple[requests.Session, str]:
            session = requests.Session()
            session.headers["Authorization"] = "Bearer owner"
            return session, local_project

        return FirestoreStore(
            emulator_session,
            base_url=f"http://{emulator}/v1",
            database=settings.firestore_database,
            deadline_seconds=settings.firestore_timeout_seconds,
        )

    project = settings.google_cloud_project
    if not project:
        raise ConfigurationError(
            f"a policy with quotas needs {env_name('google_cloud_project')} (the project of "
            f"the Firestore database) or {env_name('firestore_emulator_host')}"
        )

    def google_session() -> tuple[requests.Session, str]:
        # Imported here: only profiles with quotas, on their first Firestore call, pay for it.
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=[SCOPE])
        session: requests.Session = AuthorizedSession(  # type: ignore[no-untyped-call]
            credentials, refresh_timeout=settings.firestore_timeout_seconds
        )
        return session, project

    return FirestoreStore(
        google_session,
        base_url=PRODUCTION_URL,
        database=settings.firestore_database,
        deadline_seconds=settings.firestore_timeout_seconds,
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
