"""The API key stays out of logs in every form an upstream might echo it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import ALLOWED_ORIGIN, API_KEY, AppFactory, log_lines
from tests.fakes.gemini import FakeGemini, status
from tokenvend.redaction import redact

ECHOES = {
    "exact": API_KEY,
    "lowercased": API_KEY.lower(),
    "uppercased": API_KEY.upper(),
    "url-encoded": quote(API_KEY, safe=""),
    "long-prefix": API_KEY[:20],
    "in-a-url": f"https://x.example/?key={API_KEY}&alt=json",
}


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_redact_removes_every_form_of_the_key(echo: str) -> None:
    redacted = redact(f"API key not valid: {echo}. Please pass a valid API key.", API_KEY)
    assert "[redacted]" in redacted
    assert API_KEY[:10].lower() not in redacted.lower()
    assert redacted.startswith("API key not valid: ")
    assert redacted.endswith("Please pass a valid API key.")


def test_redact_keeps_text_that_shares_only_the_common_start_of_every_key() -> None:
    assert redact("keys start with AIza", API_KEY) == "keys start with AIza"


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_gemini_echoing_the_key_in_its_error_never_reaches_the_log(
    make_client: AppFactory, gemini: FakeGemini, capfd: pytest.CaptureFixture[str], echo: str
) -> None:
    gemini.answer(status(400, message=f"API key not valid: {echo}"))
    response = make_client().post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 502
    output = capfd.readouterr()
    logged = [entry for entry in log_lines(output.out) if "upstream_error" in entry]
    assert logged and "API key not valid" in logged[0]["upstream_error"]
    everything = (output.out + output.err).lower()
    assert API_KEY[:10].lower() not in everything
    assert quote(API_KEY, safe="")[:10].lower() not in everything
