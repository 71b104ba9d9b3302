"""The API key: Secret Manager through the real client, the per-instance cache, its grace."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.conftest import API_KEY, SECRET, SECRET_VERSION, FakeClock, LogCapture
from tests.fakes.secret_manager import FakeSecretManager
from tokenvend.errors import ConfigurationError, Unavailable
from tokenvend.gemini.api_key import CachedApiKey
from tokenvend.gemini.secret_manager import SecretManagerKey, crc32c


def secret_key(fake: FakeSecretManager, log: LogCapture, secret: str = SECRET) -> SecretManagerKey:
    version = secret if "/versions/" in secret else f"{secret}/versions/latest"
    return SecretManagerKey(version, endpoint=fake.url, log=log.log)


def cached(
    fetch: SecretManagerKey, clock: FakeClock, log: LogCapture, ttl_seconds: float = 600
) -> CachedApiKey:
    return CachedApiKey(
        fetch,
        clock=clock,
        log=log.log,
        ttl_seconds=ttl_seconds,
        grace_seconds=3600,
        retry_after_failure_seconds=10,
    )


def test_secret_without_google_credentials_stops_cold_start_saying_how_to_log_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, log_capture: LogCapture
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud login here
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # and no metadata server to ask
    with pytest.raises(ConfigurationError, match="gcloud auth application-default login"):
        SecretManagerKey(SECRET_VERSION, endpoint=None, log=log_capture.log)


def test_crc32c_matches_the_castagnoli_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_reads_the_latest_version_through_the_real_client(
    secret_manager: FakeSecretManager, log_capture: LogCapture
) -> None:
    secret_manager.add_version(SECRET, b"second-key\n")
    assert secret_key(secret_manager, log_capture)() == "second-key"


def test_pinned_version_is_read_even_when_newer_ones_exist(
    secret_manager: FakeSecretManager, log_capture: LogCapture
) -> None:
    secret_manager.add_version(SECRET, b"second-key")
    assert secret_key(secret_manager, log_capture, f"{SECRET}/versions/1")() == API_KEY


def test_checksum_mismatch_is_unavailable_and_logged_without_the_key(
    secret_manager: FakeSecretManager, log_capture: LogCapture
) -> None:
    secret_manager.corrupt_checksum = True
    with pytest.raises(Unavailable) as caught:
        secret_key(secret_manager, log_capture)()
    assert caught.value.reason == "secret_corrupt"
    assert "CRC32C" in log_capture.text
    assert API_KEY not in log_capture.text and API_KEY not in str(caught.value)


def test_a_reply_without_its_checksum_is_refused_as_corrupt(
    secret_manager: FakeSecretManager, log_capture: LogCapture
) -> None:
    secret_manager.omit_checksum = True
    with pytest.raises(Unavailable) as caught:
        secret_key(secret_manager, log_capture)()
    assert caught.value.reason == "secret_corrupt"
    assert "without its CRC32C" in log_capture.text
    assert API_KEY not in log_capture.text


@pytest.mark.parametrize(("status", "error"), [(404, "NotFound"), (403, "Forbidden")])
def test_missing_or_denied_secret_is_unavailable_and_the_log_names_the_secret(
    secret_manager: FakeSecretManager, log_capture: LogCapture, status: int, error: str
) -> None:
    secret_manager.fail_next(status)
    with pytest.raises(Unavailable):
        secret_key(secret_manager, log_capture)()
    (entry,) = log_capture.entries()
    assert entry["severity"] == "ERROR"
    assert entry["secret"] == f"{SECRET}/versions/latest"
    assert entry["error"] == error
    assert secret_manager.calls == 1  # not retried: neither error is transient


def test_transient_secret_manager_error_is_retried_within_the_call(
    secret_manager: FakeSecretManager, log_capture: LogCapture
) -> None:
    secret_manager.fail_next(503)
    assert secret_key(secret_manager, log_capture)() == API_KEY
    assert secret_manager.calls == 2


def test_key_is_fetched_once_per_ttl_and_rotates_after_it(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    keys = cached(secret_key(secret_manager, log_capture), clock, log_capture, ttl_seconds=600)
    assert [keys.api_key() for _ in range(10)] == [API_KEY] * 10
    assert secret_manager.calls == 1
    secret_manager.add_version(SECRET, b"rotated-key")
    clock.advance(599)
    assert keys.api_key() == API_KEY
    clock.advance(1)
    assert keys.api_key() == "rotated-key"
    assert secret_manager.calls == 2


def test_refresh_failure_serves_the_last_good_key_with_a_warning_during_grace(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    keys = cached(secret_key(secret_manager, log_capture), clock, log_capture)
    keys.api_key()
    secret_manager.fail_always(403)
    clock.advance(601)
    assert keys.api_key() == API_KEY
    warnings = [e for e in log_capture.entries() if e["severity"] == "WARNING"]
    assert len(warnings) == 1 and "last good key" in warnings[0]["message"]
    calls = secret_manager.calls
    clock.advance(5)  # within the pause after a failure: no new call
    assert keys.api_key() == API_KEY
    assert secret_manager.calls == calls
    clock.advance(10)
    keys.api_key()
    assert secret_manager.calls == calls + 1
    assert API_KEY not in log_capture.text


def test_after_the_grace_time_a_failing_refresh_is_an_error(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    keys = cached(secret_key(secret_manager, log_capture), clock, log_capture)
    keys.api_key()
    secret_manager.fail_always(403)
    clock.advance(600 + 3600 + 1)
    with pytest.raises(Unavailable):
        keys.api_key()


def test_recovered_secret_manager_replaces_the_stale_key(
    secret_manager: FakeSecretManager, clock: FakeClock, log_capture: LogCapture
) -> None:
    keys = cached(secret_key(secret_manager, log_capture), clock, log_capture)
    keys.api_key()
    secret_manager.fail_always(403)
    clock.advance(601)
    keys.api_key()
    secret_manager.recover()
    secret_manager.add_version(SECRET, b"new-key")
    clock.advance(11)
    assert keys.api_key() == "new-key"


def test_concurrent_requests_at_expiry_cause_a_single_fetch(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    fetches: list[int] = []
    release = threading.Event()

    def slow_fetch() -> str:
        fetches.append(1)
        release.wait(timeout=10)
        return f"key-{len(fetches)}"

    keys = CachedApiKey(slow_fetch, clock=clock, log=log_capture.log, ttl_seconds=600)
    release.set()
    keys.api_key()
    release.clear()
    clock.advance(600)
    calling = threading.Semaphore(0)
    results: list[str] = []

    def request() -> None:
        calling.release()
        results.append(keys.api_key())

    threads = [threading.Thread(target=request) for _ in range(50)]
    for thread in threads:
        thread.start()
    # The refresh is held until every request is on its way into api_key(): without
    # single flight, each of them would start a fetch of its own meanwhile.
    for _ in threads:
        calling.acquire(timeout=10)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(fetches) == 2
    assert results == ["key-2"] * 50
