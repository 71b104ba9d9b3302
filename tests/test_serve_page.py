"""``make example-web`` (``tools/serve_page.py``) prints one URL, and only one the
profile lets mint: a port the profile does not list is refused before serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.serve_page import main, origin_problem

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def test_the_shipped_profile_allows_the_default_page_origin() -> None:
    assert origin_problem(POLICIES, "voice-assistant", "http://localhost:8000") is None


def test_a_port_the_profile_does_not_list_is_refused_naming_the_listed_origins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--port", "8001", "--policy-dir", str(POLICIES)]) == 1
    error = capsys.readouterr().err
    assert "http://localhost:8001" in error
    assert "http://localhost:8000" in error and "WEB_PORT" in error


def test_an_unknown_profile_is_refused_with_the_loader_message() -> None:
    problem = origin_problem(POLICIES, "nope", "http://localhost:8000")
    assert problem is not None and "no policy file for profile 'nope'" in problem
