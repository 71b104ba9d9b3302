"""Every reason code is spelt out once, in ``tokenvend/reasons.py``, and nowhere else.

Operators filter logs and build metrics on these codes, so a code written as a literal
somewhere else could drift from the list without anyone noticing. This scans the
package's source: no string that is a defined code, and no ``reason`` (keyword,
attribute or variable) given a literal of its own, outside the one module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT
from tokenvend import reasons
from tokenvend.errors import (
    BadGateway,
    PermissionDenied,
    ProfilePaused,
    QuotaCallerBusy,
    QuotaExhausted,
    QuotaStoreUnavailable,
    TokenvendError,
    Unauthenticated,
    Unavailable,
)

PACKAGE = ROOT / "tokenvend"
REASONS_MODULE = PACKAGE / "reasons.py"


def defined_codes() -> set[str]:
    return {
        value
        for name, value in vars(reasons).items()
        if name.isupper() and isinstance(value, str) and not name.endswith("_PREFIX")
    }


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module and of its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def names_a_reason(name: str | None) -> bool:
    return name is not None and (name == "reason" or name.endswith("_reason"))


def reason_values(node: ast.AST) -> Iterator[ast.AST]:
    """What ``node`` gives a reason: ``reason=...``, ``reason = ...``, ``x.reason = ...``."""
    if isinstance(node, ast.keyword) and names_a_reason(node.arg):
        yield node.value
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
        targets = [node.target]
    for target in targets:
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
        if names_a_reason(name):
            yield node.value  # type: ignore[attr-defined]


def makes_text_of_a_literal(value: ast.AST) -> bool:
    """Whether the value an expression yields may be, or be built from, a string literal.

    A literal in a condition (``"x" if method == "OPTIONS" else "y"``) is not one.
    """
    if isinstance(value, ast.JoinedStr):
        return True
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str)
    if isinstance(value, ast.IfExp):
        return makes_text_of_a_literal(value.body) or makes_text_of_a_literal(value.orelse)
    if isinstance(value, ast.BoolOp):
        return any(map(makes_text_of_a_literal, value.values))
    if isinstance(value, ast.BinOp):
        return makes_text_of_a_literal(value.left) or makes_text_of_a_literal(value.right)
    return False


def literal_reasons(source: str, where: str) -> Iterator[str]:
    tree = ast.parse(source)
    codes = defined_codes()
    skipped = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in codes and id(node) not in skipped:
            yield f"{where}:{node.lineno}: the code {node.value!r} spelt out"
        for value in reason_values(node):
            if makes_text_of_a_literal(value):
                yield f"{where}:{getattr(value, 'lineno', 0)}: a reason given a literal"


def test_no_reason_code_is_a_literal_outside_the_reasons_module() -> None:
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != REASONS_MODULE
        for problem in literal_reasons(
            path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
        )
    ]
    assert found == []


def test_the_scan_finds_each_way_of_spelling_a_reason_out() -> None:
    planted = (
        "class Refusal:\n"
        "    reason = 'brand_new_code'\n"
        "def fail(error):\n"
        "    error.reason = 'another_new_code'\n"
        "    raise Refusal(reason=f'prefix_{error}')\n"
        "def pick(x):\n"
        "    reason = reasons.MINTED if x == 'OPTIONS' else 'app_check_' + x\n"
        "    return 'minted' if x else 'preflight'\n"
    )
    assert [line.split(": ", 1)[1] for line in literal_reasons(planted, "planted.py")] == [
        "a reason given a literal",
        "a reason given a literal",
        "a reason given a literal",
        "a reason given a literal",
        "the code 'minted' spelt out",
        "the code 'preflight' spelt out",
    ]


def test_every_public_reason_is_a_defined_code_an_error_info_may_carry() -> None:
    assert defined_codes() | {reasons.app_check(reasons.TOKEN_EXPIRED)} >= reasons.PUBLIC
    pattern = re.compile(r"^[A-Z][A-Z0-9_]+[A-Z0-9]$")  # google.rpc.ErrorInfo's reason
    assert all(pattern.fullmatch(code.upper()) for code in reasons.PUBLIC)


@pytest.mark.parametrize(
    ("error", "public"),
    [
        # How a credential check failed stays in the log.
        (Unauthenticated(reason=reasons.BAD_SIGNATURE), reasons.UNAUTHENTICATED),
        (
            Unauthenticated(reason=reasons.app_check(reasons.WRONG_AUDIENCE)),
            reasons.UNAUTHENTICATED,
        ),
        (Unauthenticated(reason=reasons.APP_CHECK_REPLAYED), reasons.UNAUTHENTICATED),
        (PermissionDenied(reason=reasons.EMAIL_NOT_ALLOWED), reasons.PERMISSION_DENIED),
        # Which dependency is down stays in the log.
        (Unavailable(reason=reasons.SECRET_UNAVAILABLE), reasons.UNAVAILABLE),
        (QuotaStoreUnavailable("Firestore answered 500"), reasons.UNAVAILABLE),
        (BadGateway(reason=reasons.upstream_status(400)), reasons.UPSTREAM_ERROR),
        # What a caller acts on is said.
        (Unauthenticated(reason=reasons.TOKEN_EXPIRED), reasons.TOKEN_EXPIRED),
        (QuotaExhausted(reason=reasons.QUOTA_EXHAUSTED_PROFILE), reasons.QUOTA_EXHAUSTED_PROFILE),
        (QuotaCallerBusy(), reasons.QUOTA_CALLER_BUSY),
        (ProfilePaused(), reasons.PROFILE_PAUSED),
        (TokenvendError(), reasons.INTERNAL),
    ],
)
def test_an_error_tells_the_caller_its_reason_only_where_that_reason_is_public(
    error: TokenvendError, public: str
) -> None:
    assert error.public_reason == public


def test_the_browser_guide_lists_exactly_the_public_reasons() -> None:
    guide = (ROOT / "docs" / "browser.md").read_text(encoding="utf-8")
    section = guide.split("## Errors", 1)[1].split("\n## ", 1)[0]
    paragraph = section.split("`details[0].reason`", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", paragraph))
    assert listed == {code.upper() for code in reasons.PUBLIC}
