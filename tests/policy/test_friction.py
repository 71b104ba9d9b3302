"""What a newcomer trips on when writing a first policy: each gets a message that says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.policy.test_loader import VALID
from tokenvend.errors import PolicyError
from tokenvend.policy.loader import load_policy


def problems_of(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "friction.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return dict(caught.value.problems)


@pytest.mark.parametrize(
    ("text", "got"),
    [("", "an empty file"), ("- a\n- b\n", "a list"), ("just words\n", "a single value")],
)
def test_a_file_that_is_not_a_mapping_says_a_policy_must_be_one(
    tmp_path: Path, text: str, got: str
) -> None:
    message = problems_of(tmp_path, text)["(file)"]
    assert message.startswith("a policy file must be a mapping")
    assert got in message


def test_lock_yes_says_yaml_read_a_boolean(tmp_path: Path) -> None:
    message = problems_of(tmp_path, VALID.replace("lock: all", "lock: yes"))["live.lock"]
    assert "YAML read a plain yes/no/on/off/true/false as the boolean true" in message


def test_misspelt_option_field_is_named_as_such_not_as_a_missing_range(tmp_path: Path) -> None:
    text = VALID + "client_options:\n  voice:\n    feild: temperature\n    allowed: [0.5]\n"
    found = problems_of(tmp_path, text)
    assert found["client_options.voice"] == "missing required key 'field'"
    assert "did you mean 'field'?" in found["client_options.voice.feild"]
    assert not any("minimum" in message for message in found.values())


def test_session_window_is_checked_even_when_the_lifetime_is_out_of_range(
    tmp_path: Path,
) -> None:
    text = VALID.replace("expire_after_seconds: 600,", "expire_after_seconds: 30,").replace(
        "new_session_expire_after_seconds: 60", "new_session_expire_after_seconds: 300"
    )
    found = problems_of(tmp_path, text)
    assert "token.expire_after_seconds" in found
    assert found["token.new_session_expire_after_seconds"].startswith(
        "must be at most expire_after_seconds (30)"
    )


def test_validate_names_a_yml_file_it_does_not_check(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "forgotten.yml").write_text(VALID, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "tokenvend", "validate", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "forgotten.yml: skipped" in result.stderr
    assert "rename it to forgotten.yaml" in result.stderr
