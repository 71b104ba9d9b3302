"""The end-to-end tests live in ``e2e_*.py``, names ``make test`` does not collect;
``make e2e`` runs them by path, after building the page and the Node.js client and
installing the browser driver. They share one run of the browser and the servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.journey import Journey


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: the example page in headless Chromium against local fakes (make e2e)"
    )


@pytest.fixture(scope="session")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Journey:
    from tests.e2e.journey import run_journey  # only when an e2e test asks for it

    return run_journey(tmp_path_factory.mktemp("policies"))
