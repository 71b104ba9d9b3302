"""Key caching: once per instance, refreshed per max-age, kept when a refresh fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.conftest import ROOT, FakeClock, LogCapture
from tests.fakes.keys import FakeKeyServer, signing_key
from tokenvend.callers.public_keys import PublicKeys, max_age_seconds, parse_x509_map
from tokenvend.errors import Unavailable

KEY = signing_key("firebase-1")


def is_published_key(key: object) -> bool:
    """Whether ``key`` is KEY's public key, as read from its certificate."""
    public = KEY.private_key.public_key()
    return getattr(key, "public_numbers", lambda: None)() == public.public_numbers()


@pytest.fixture
def keys() -> Iterator[FakeKeyServer]:
    with FakeKeyServer([KEY], max_age_seconds=600) as server:
        yield server


@pytest.fixture
def cache(keys: FakeKeyServer, clock: FakeClock, log_capture: LogCapture) -> PublicKeys:
    return PublicKeys(
        f"{keys.url}/firebase", parse_x509_map, clock=clock, log=log_capture.log, timeout_seconds=5
    )


def test_keys_are_fetched_on_first_use_and_reused_until_max_age(
    cache: PublicKeys, keys: FakeKeyServer, clock: FakeClock
) -> None:
    assert keys.fetches == {}
    assert is_published_key(cache.key(KEY.kid))
    clock.advance(599)
    assert is_published_key(cache.key(KEY.kid))
    assert cache.key("no-such-key") is None
    assert keys.fetches["/firebase"] == 1
    clock.advance(2)
    assert is_published_key(cache.key(KEY.kid))
    assert keys.fetches["/firebase"] == 2


def test_failed_refresh_keeps_the_cached_keys_and_waits_before_trying_again(
    cache: PublicKeys, keys: FakeKeyServer, clock: FakeClock, log_capture: LogCapture
) -> None:
    cache.key(KEY.kid)
    keys.failing = True
    clock.advance(601)
    assert is_published_key(cache.key(KEY.kid))
    clock.advance(30)
    assert is_published_key(cache.key(KEY.kid))
    assert keys.fetches["/firebase"] == 2  # no fetch per request while the URL is down
    (entry,) = log_capture.entries()
    assert entry["severity"] == "WARNING" and entry["serving_cached_keys"] is True
    keys.failing = False
    clock.advance(31)
    cache.key(KEY.kid)
    assert keys.fetches["/firebase"] == 3


def test_no_keys_at_all_is_503_and_the_next_attempt_waits_a_little(
    cache: PublicKeys, keys: FakeKeyServer, clock: FakeClock
) -> None:
    keys.failing = True
    for _ in range(3):
        with pytest.raises(Unavailable) as caught:
            cache.key(KEY.kid)
        assert caught.value.reason == "keys_unavailable"
    assert keys.fetches["/firebase"] == 1
    keys.failing = False
    clock.advance(5)
    assert is_published_key(cache.key(KEY.kid))


def test_a_missing_key_set_counts_as_a_failed_fetch(
    keys: FakeKeyServer, clock: FakeClock, log_capture: LogCapture
) -> None:
    broken = PublicKeys(
        f"{keys.url}/nowhere", parse_x509_map, clock=clock, log=log_capture.log, timeout_seconds=5
    )
    with pytest.raises(Unavailable):
        broken.key(KEY.kid)
    assert "HTTP 404" in log_capture.entries()[0]["message"]


@pytest.mark.parametrize("failure", [AttributeError, RecursionError, IndexError])
def test_a_key_set_the_parser_chokes_on_counts_as_a_failed_fetch_not_a_crash(
    keys: FakeKeyServer, clock: FakeClock, log_capture: LogCapture, failure: type[Exception]
) -> None:
    def choke(document: Any) -> Mapping[str, str]:
        raise failure("a key set nobody expected")

    broken = PublicKeys(
        f"{keys.url}/firebase", choke, clock=clock, log=log_capture.log, timeout_seconds=5
    )
    for _ in range(3):
        with pytest.raises(Unavailable):
            broken.key(KEY.kid)
    assert keys.fetches["/firebase"] == 1  # and the next attempt waits, as for any failure
    assert failure.__name__ in log_capture.entries()[0]["message"]


@pytest.mark.parametrize(
    ("cache_control", "age", "seconds"),
    [
        ("public, max-age=19845, must-revalidate, no-transform", None, 19845),
        ("public, max-age=19845", "845", 19000),
        ("max-age=0", None, 60),
        ("public, max-age=999999", None, 6 * 3600),
        ("no-cache", None, 300),
        ("no-store, max-age=100", None, 300),
        ("max-age=600", "²", 600),  # a digit int() refuses: Age is ignored, not a crash
        (None, None, 300),
    ],
)
def test_freshness_follows_max_age_less_age_within_bounds(
    cache_control: str | None, age: str | None, seconds: int
) -> None:
    assert max_age_seconds(cache_control, age) == seconds


def test_anonymous_profile_never_imports_the_token_verifiers() -> None:
    code = (
        "import os, sys\n"
        "os.environ.update(TOKENVEND_PROFILE='voice-assistant', GEMINI_API_KEY='x')\n"
        "import main\n"
        "loaded = {'jwt', 'cryptography', 'tokenvend.callers.verifier',\n"
        "          'tokenvend.callers.public_keys'}\n"
        "print(sorted(loaded & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "[]"
