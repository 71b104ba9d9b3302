"""What every refused credential must look like, whichever caller kind refused it."""

from __future__ import annotations

from werkzeug.test import TestResponse

from tests.conftest import log_lines
from tests.fakes.gemini import FakeGemini
from tokenvend import reasons


def assert_unauthenticated(
    response: TestResponse, output: str, *, reason: str, gemini: FakeGemini, token: str | None
) -> None:
    """A 401 the browser can act on, logged with its reason; nothing minted or leaked."""
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"]["status"] == "UNAUTHENTICATED"
    # How the check failed is the log's to say; the body names only what a caller can act on.
    public = reason if reason in reasons.PUBLIC else reasons.UNAUTHENTICATED
    assert response.get_json()["error"]["details"][0]["reason"] == public.upper()
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenvend"'
    assert log_lines(output)[-1]["reason"] == reason
    assert gemini.requests == []
    if token:
        assert token not in output
        assert token not in response.get_data(as_text=True)
