"""No shipped text claims more about the lock than Google documents or a probe showed.

Gemini locks the setup (documented); whether later messages on the WebSocket can change a
session is what make smoke probes, and as shipped no probe has run. So no page, example,
schema description or CLI message may say the browser can change nothing, or cannot
change a field later: the claims that were here before the probes existed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHIPPED = sorted(
    [
        ROOT / "README.md",
        ROOT / "openapi.yaml",
        ROOT / "tokenvend" / "policy" / "policy.schema.json",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "policies").glob("*.yaml"),
        *(ROOT / "examples" / "policies").glob("*.yaml"),
        *(ROOT / "tokenvend" / "cli").glob("*.py"),
    ]
)
ABSOLUTE = re.compile(
    r"can\s+change\s+nothing|cannot\s+change\s+(them|it|the\s+\w+)\s+later"
    r"|every\s+field\s+is\s+locked(\s+to\b|\s*[.)(\"])",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_shipped_text_says_the_lock_holds_beyond_the_setup(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [m.group(0) for m in ABSOLUTE.finditer(text)] == []


def test_the_readme_says_what_is_not_verified_and_where_the_lock_is_explained() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "not\nverified" in readme or "not verified" in readme
    policies = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    assert "## What the lock holds" in policies and "instruction_must_hold" in policies
