"""The reason codes the operations pack filters on come from one place in
Terraform (terraform/ops_reasons.tf) and must be codes the function logs
(tokenvend/reasons.py), so renaming a reason cannot silently break a metric."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.terraform.planview import Plan
from tests.terraform.tfconfig import REASONS_MODULE, TF_DIR, Config, unquote


def terraform_reasons() -> tuple[set[str], set[str]]:
    """(codes, prefixes) from ops_reasons.tf."""
    (locals_block,) = Config.load(TF_DIR).files["ops_reasons.tf"]["locals"]
    codes = {unquote(v) for v in locals_block["reason_codes"].values()}
    prefixes = {unquote(v) for v in locals_block["reason_prefixes"].values()}
    return codes, prefixes


def strings_in(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 3:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, enum.Enum):
        yield from strings_in(value.value, depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k, depth + 1)
            yield from strings_in(v, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from strings_in(item, depth + 1)
    elif isinstance(value, type) and issubclass(value, enum.Enum):
        for member in value:
            yield from strings_in(member.value, depth + 1)
    elif isinstance(value, type):  # a namespace class of constants
        for name, member in vars(value).items():
            if not name.startswith("_"):
                yield from strings_in(member, depth + 1)


def test_every_reason_terraform_uses_is_defined_by_the_function_code() -> None:
    reasons = pytest.importorskip(REASONS_MODULE, reason="tokenvend/reasons.py is on main")
    defined = {
        s for name, v in vars(reasons).items() if not name.startswith("_") for s in strings_in(v)
    }
    codes, prefixes = terraform_reasons()
    assert codes - defined == set(), f"codes Terraform filters on but {REASONS_MODULE} lacks"
    for prefix in prefixes:
        assert prefix in defined or any(d.startswith(prefix) for d in defined), prefix


def test_metric_filters_use_only_the_reasons_of_ops_reasons_tf(plans: dict[str, Plan]) -> None:
    codes, prefixes = terraform_reasons()
    plan = plans["default"]
    filters = [
        c.after["filter"] for c in plan.changes if c.address.startswith("google_logging_metric")
    ]
    used_codes: set[str] = set()
    used_prefixes: set[str] = set()
    for text in filters:
        used_codes |= set(re.findall(r'jsonPayload\.reason="(\w+)"', text))
        for group in re.findall(r"jsonPayload\.reason=\(([^)]*)\)", text):
            used_codes |= set(re.findall(r'"(\w+)"', group))
        used_prefixes |= set(re.findall(r'jsonPayload\.reason=~"\^(\w+)"', text))
    assert used_codes and used_prefixes
    assert used_codes <= codes
    assert used_prefixes <= prefixes
    # Reason literals appear in no other Terraform file.
    for path in sorted(TF_DIR.glob("*.tf")):
        if path.name != "ops_reasons.tf":
            text = path.read_text(encoding="utf-8")
            assert not [c for c in codes if f'"{c}"' in text], path.name
