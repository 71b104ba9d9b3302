"""Every relative link in README.md and docs/*.md points at a file or heading that exists,
and every repository path a Terraform file names (``*.tf``, ``*.tftest.hcl``) exists.

Offline by construction: links with a scheme (https:, mailto:) are skipped, nothing is
fetched. A link into another Markdown file may name a heading (``page.md#heading``);
the heading must exist, with GitHub's anchor rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest


def _repo_root() -> Path:
    """The folder holding pyproject.toml, wherever this test file sits below it."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    raise AssertionError("no pyproject.toml above this test")


ROOT = _repo_root()

# Pages other engineers are writing in parallel. Each may be missing until their branch
# lands; once it exists, links to it are checked like any other.
EXPECTED_LATER: frozenset[str] = frozenset()

LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _prose_lines(page: Path) -> Iterator[tuple[int, str]]:
    """Lines outside fenced code blocks, where `](` is code, not a link."""
    in_fence = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, line


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for _, line in _prose_lines(page):
        match = HEADING.match(line)
        if not match:
            continue
        base = _anchor(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def _problem(page: Path, target: str) -> str | None:
    """What is wrong with one link target of a page, or None when it resolves."""
    path_part, _, fragment = target.partition("#")
    resolved = (page.parent / path_part).resolve() if path_part else page
    if not resolved.is_relative_to(ROOT):
        return "leaves the repository"
    relative = resolved.relative_to(ROOT).as_posix()
    if not resolved.exists():
        return None if relative in EXPECTED_LATER else "does not exist"
    if fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
        return f"names no heading of {relative}"
    return None


def _broken_links(page: Path) -> list[str]:
    problems = []
    for number, line in _prose_lines(page):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:: not checked, never fetched
            problem = _problem(page, target)
            if problem:
                problems.append(f"{page.relative_to(ROOT)}:{number}: {target} {problem}")
    return problems


def _terraform_files() -> list[Path]:
    files = [*(ROOT / "terraform").rglob("*.tf"), *(ROOT / "terraform").rglob("*.tftest.hcl")]
    return sorted(path for path in files if ".terraform" not in path.parts)


# A path of the repository named in a Terraform comment or description.
REPOSITORY_PATH = re.compile(r"\b(?:docs|tokenvend|tests|terraform|policies|examples)/[\w./-]*\w")


@pytest.mark.parametrize(
    "tf", _terraform_files(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_terraform_names_only_files_that_exist_and_no_outside_document(tf: Path) -> None:
    text = tf.read_text(encoding="utf-8")
    missing = [
        name
        for name in REPOSITORY_PATH.findall(text)
        # From the repository's root, or (a terraform test's fixtures) from a folder the
        # file is in: Terraform reads them from its module's.
        if not any((folder / name).exists() for folder in tf.parents if folder.is_relative_to(ROOT))
    ]
    assert missing == []
    for stale in ("DESIGN", "§"):
        assert stale not in text, f"{tf.relative_to(ROOT)} mentions {stale!r}"


def test_docs_pages_exist_beside_the_readme() -> None:
    assert (ROOT / "docs" / "README.md").is_file()


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    assert _broken_links(page) == []


def test_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 300, f"README.md has {lines} lines; move detail into docs/"


def test_anchor_follows_github_rules() -> None:
    assert _anchor("Why the functions are public at the IAM level") == (
        "why-the-functions-are-public-at-the-iam-level"
    )
    assert _anchor("`callers: firebase` (Firebase Authentication)") == (
        "callers-firebase-firebase-authentication"
    )


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.relative_to(ROOT).as_posix())
def test_pages_name_no_retired_live_model_and_no_outside_document(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for stale in ("gemini-2.0-flash-live-001", "gemini-live-2.5-flash-preview", "DESIGN", "§"):
        assert stale not in text, f"{page.relative_to(ROOT)} mentions {stale!r}"
