"""Policy files written to hurt the tool that reads them end in a named policy error.

A policy may come from a pull request nobody read closely: aliases that expand to
gigabytes, nesting thousands deep, integers of thousands of digits, keys that are lists.
Each is refused while reading the YAML, with its line, and never as a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.test_loader import VALID, problems_of, write
from tokenvend.errors import PolicyError
from tokenvend.jsonvalues import json_key, same_json
from tokenvend.policy.loader import load_policy

# Each level holds nine of the one above: nine levels are 9**9 (387 million) strings.
LAUGHS = "laughs:\n  l0: &l0 lol\n" + "".join(
    f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]\n" for level in range(1, 10)
)


def with_config(extra: str) -> str:
    """VALID with ``extra`` YAML as the value of live.config.systemInstruction."""
    return VALID.replace(
        "config: {responseModalities: [AUDIO]}",
        f"config: {{responseModalities: [AUDIO], systemInstruction: {extra}}}",
    )


def test_nested_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    assert len(LAUGHS) < 600
    problem = problems_of(write(tmp_path, VALID + LAUGHS))["(file)"]
    assert "alias" in problem and "line 13" in problem


def test_a_mapping_key_that_is_a_list_is_refused_with_its_line(tmp_path: Path) -> None:
    problem = problems_of(write(tmp_path, VALID + "? [a, b]\n: 1\n"))["(file)"]
    assert "not text" in problem and "line 11" in problem


def test_nesting_thousands_deep_is_refused(tmp_path: Path) -> None:
    problem = problems_of(write(tmp_path, with_config("[" * 5000 + "]" * 5000)))["(file)"]
    assert "nests" in problem


def test_an_integer_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("uses: 1,", f"uses: {'9' * 5000},")
    problem = problems_of(write(tmp_path, text))["(file)"]
    assert "5000 digits" in problem and len(problem) < 200


def test_a_huge_duplicate_key_is_named_in_a_bounded_message(tmp_path: Path) -> None:
    key = "k" * 100_000
    problem = problems_of(write(tmp_path, VALID + f"? {key}\n: 1\n? {key}\n: 2\n"))["(file)"]
    assert "appears twice" in problem and len(problem) < 200


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com:0443",
        "https://app.example.com:0",
        "http://localhost:99999",
        "http://[::1]:070000",
    ],
)
def test_an_origin_with_a_port_no_browser_sends_is_refused(tmp_path: Path, origin: str) -> None:
    text = VALID.replace("[https://app.example.com]", f"['{origin}']")
    assert "access.allowed_origins[0]" in problems_of(write(tmp_path, text))


@pytest.mark.parametrize("origin", ["https://app.example.com:8443", "http://[::1]:65535"])
def test_an_origin_with_a_canonical_port_loads(tmp_path: Path, origin: str) -> None:
    from tokenvend.policy.loader import load_policy

    text = VALID.replace("[https://app.example.com]", f"['{origin}']")
    assert load_policy(write(tmp_path, text)).access.allowed_origins == frozenset({origin})


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (False, 0, False),
        ({"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]}, True),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ([1, 2], [2, 1], False),
        ("1", 1, False),
        (None, False, False),
    ],
)
def test_repeats_are_found_by_json_equality_in_one_pass(
    left: object, right: object, same: bool
) -> None:
    # uniqueItems hashes each item once (a list of thousands compared every pair before).
    assert same_json(left, right) is same
    assert (json_key(left) == json_key(right)) is same


def test_a_long_list_of_repeated_origins_names_each_repeat(tmp_path: Path) -> None:
    origins = ", ".join(["https://a.example.com"] * 5000)
    text = VALID.replace("[https://app.example.com]", f"[{origins}]")
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))
    repeated = [where for where, message in caught.value.problems if "is repeated" in message]
    assert len(repeated) == 4999
