"""The client package (``client-js``) under Node's test runner against this run's real
function processes and the Live stand-in: tokens, typed errors with ``Retry-After``,
token reuse, and a voice session resumed after ``goAway`` (``client-js/test/``).
Run with ``make e2e``.
"""

from __future__ import annotations

import pytest

from tests.e2e.journey import Journey

pytestmark = pytest.mark.e2e


def test_client_package_tests_pass_against_the_function_and_the_live_stand_in(
    journey: Journey,
) -> None:
    result = journey.client_package
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "skipped 0" in output, output  # the servers were there: nothing was skipped
    assert "resumes after goAway on the same token" in output
