"""The end-to-end test lives in ``e2e_browser.py``, a name ``make test`` does not collect;
``make e2e`` runs it by path, after building the page and installing the browser driver."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: the example page in headless Chromium against local fakes (make e2e)"
    )
