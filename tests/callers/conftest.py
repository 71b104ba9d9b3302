"""One way to build the function for a caller test: its access section, its keys served.

Each caller test module lists the signing keys its key server publishes in
``PUBLISHED``; ``keys`` serves them on loopback, and ``caller_client(access)`` writes a
policy with that ``access`` section and builds the real function against those keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.fakes.keys import FakeKeyServer, write_policy

CallerClient = Callable[..., FlaskClient]


@pytest.fixture
def keys(request: pytest.FixtureRequest) -> Iterator[FakeKeyServer]:
    """The test module's ``PUBLISHED`` keys, served like Google serves its own."""
    with FakeKeyServer(list(request.module.PUBLISHED)) as server:
        yield server


@pytest.fixture
def caller_client(make_client: AppFactory, keys: FakeKeyServer, tmp_path: Path) -> CallerClient:
    """``caller_client(access, profile=..., **environment)``: the function of that policy."""

    def build(access: str, *, profile: str = "callers", **environment: str) -> FlaskClient:
        write_policy(tmp_path, profile, access)
        return make_client(
            profile, TOKENVEND_POLICY_DIR=str(tmp_path), **keys.environment(), **environment
        )

    return build
