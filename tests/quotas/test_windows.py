"""Fixed windows aligned to the epoch, and the Retry-After they give."""

from __future__ import annotations

from datetime import UTC, datetime

from tokenvend.quotas.windows import Window


def test_window_is_the_multiple_of_per_seconds_that_contains_now() -> None:
    now = datetime(2026, 1, 15, 12, 34, 56, tzinfo=UTC)
    window = Window.at(now, 3600)
    assert window.start == int(datetime(2026, 1, 15, 12, tzinfo=UTC).timestamp())
    assert window.end_time == datetime(2026, 1, 15, 13, tzinfo=UTC)


def test_retry_after_rounds_up_and_is_never_zero() -> None:
    window = Window.at(datetime(2026, 1, 15, 12, 0, 59, 500000, tzinfo=UTC), 60)
    assert window.seconds_left(datetime(2026, 1, 15, 12, 0, 59, 500000, tzinfo=UTC)) == 1
    assert window.seconds_left(datetime(2026, 1, 15, 12, 0, 0, 100000, tzinfo=UTC)) == 60
