"""``validate`` and ``explain`` on files an attacker prepared, through the real command.

Only regular files are read, and at most 256 KiB of one: a device never ends, a FIFO
never opens without a writer, a link may point anywhere. Whatever a file name or a
policy holds is printed escaped, so it cannot forge a verdict line or reach the
terminal as an escape sequence. Each case runs ``python -m tokenvend`` with a timeout:
a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.policy.test_loader import VALID, write

# Generous: each command takes well under a second when it does not hang.
COMMAND_TIMEOUT_SECONDS = 60


def tokenvend(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenvend", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


def test_a_device_is_refused_without_being_read() -> None:
    result = tokenvend("validate", "/dev/zero")
    assert result.returncode == 1
    assert "cannot read the file: it is a device, not a regular file" in result.stderr


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    write(tmp_path, VALID, "good.yaml")
    result = tokenvend("validate", str(tmp_path))
    assert result.returncode == 1
    assert "pipe.yaml: 1 problem" in result.stderr
    assert "it is a FIFO, not a regular file" in result.stderr
    assert f"{tmp_path / 'good.yaml'}: ok" in result.stdout  # the others are still checked


def test_a_symbolic_link_is_refused_not_followed(tmp_path: Path) -> None:
    target = write(tmp_path, VALID, "elsewhere.txt")
    (tmp_path / "linked.yaml").symlink_to(target)
    validated = tokenvend("validate", str(tmp_path / "linked.yaml"))
    explained = tokenvend("explain", "linked", "--policy-dir", str(tmp_path))
    for result in (validated, explained):
        assert result.returncode == 1
        assert "it is a symbolic link" in result.stderr


def test_a_file_larger_than_any_policy_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    # Six megabytes of one flat list: parsing it took 50 s before the cap.
    path = write(tmp_path, VALID + "extra: [" + ", ".join(["1"] * 2_000_000) + "]\n")
    result = tokenvend("validate", str(path))
    assert result.returncode == 1
    assert "larger than 256 KiB" in result.stderr


def test_a_file_name_with_a_line_break_cannot_forge_a_verdict(tmp_path: Path) -> None:
    name = "x.yaml\nforged.yaml: ok\n\x1b[2Jy.yaml"
    write(tmp_path, VALID.replace("deploy", "deploy_typo"), name)
    result = tokenvend("validate", str(tmp_path))
    output = result.stdout + result.stderr
    assert "forged.yaml: ok" not in output.splitlines()
    assert "\x1b" not in output
    assert "x.yaml\\nforged.yaml: ok\\n\\x1b[2Jy.yaml" in output
    assert result.returncode == 1


def test_explain_prints_a_description_with_escapes_as_one_escaped_line(tmp_path: Path) -> None:
    description = '"Looks calm.\\nWarnings: none\\n\\u001b]0;owned\\u0007\\u2028"'
    text = VALID.replace("description: Test profile.", f"description: {description}")
    result = tokenvend("explain", str(write(tmp_path, text, "calm.yaml")))
    assert result.returncode == 0, result.stderr
    assert not any(c in result.stdout for c in "\x1b\x07\u2028")
    lines = result.stdout.splitlines()
    assert "Warnings: none" not in lines
    assert "  Looks calm.\\nWarnings: none\\n\\x1b]0;owned\\x07\\u2028" in lines


def test_validate_prints_a_key_with_escapes_escaped(tmp_path: Path) -> None:
    text = VALID + '"\\u001b[2Jsneaky\\nx.yaml: ok": 1\n'
    result = tokenvend("validate", str(write(tmp_path, text, "keys.yaml")))
    assert result.returncode == 1
    assert "\x1b" not in result.stderr
    assert "x.yaml: ok" not in result.stderr.splitlines()
    assert "\\x1b[2Jsneaky\\nx.yaml: ok: unknown key" in result.stderr
