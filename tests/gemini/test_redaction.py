"""The API key stays out of logs in every form an upstream might echo it.

Around the key: non-ASCII text that changes length when case-folded (``İ`` folds to two
characters, ``ß`` to ``ss``), which once moved the cut off the key. Of the key: the
whole, any letter case, URL-encoded, or any run of 12 characters from anywhere in it.
"""

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
    "after-45-dotted-capital-i": "İ" * 45 + API_KEY,
    "between-length-changing-letters": "ßﬁ" * 30 + API_KEY.lower() + "İ" * 10,
    "without-its-first-characters": API_KEY[7:],
    "its-last-20-characters": API_KEY[-20:],
    "a-middle-run-of-12": API_KEY[14:26],
    "a-middle-run-of-12-uppercased": API_KEY[14:26].upper(),
    "beside-cjk-and-emoji": "鍵🔑" + API_KEY + "鍵🔑",
}
RUN = 12


def runs_of_the_key(text: str) -> list[str]:
    """Every run of RUN characters of the key that ``text`` still holds, in any case."""
    folded = text.casefold()
    key = API_KEY.casefold()
    return [key[i : i + RUN] for i in range(len(key) - RUN + 1) if key[i : i + RUN] in folded]


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_redact_removes_every_form_of_the_key(echo: str) -> None:
    redacted = redact(f"API key not valid: {echo}. Please pass a valid API key.", API_KEY)
    assert "[redacted]" in redacted
    assert runs_of_the_key(redacted) == []
    assert redacted.startswith("API key not valid: ")
    assert redacted.endswith("Please pass a valid API key.")


def test_redact_cuts_exactly_the_key_out_of_the_original_text() -> None:
    assert redact("İ" * 45 + API_KEY + "İ", API_KEY) == "İ" * 45 + "[redacted]İ"
    assert redact(f"ß{API_KEY.upper()}ß", API_KEY) == "ß[redacted]ß"


def test_redact_keeps_runs_of_the_key_shorter_than_twelve_characters() -> None:
    assert redact(API_KEY[5:16], API_KEY) == API_KEY[5:16]


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
    everything = output.out + output.err
    assert runs_of_the_key(everything) == []
