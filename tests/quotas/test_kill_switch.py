"""The kill switch: the CLI that sets it, and instances that obey it within 10 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ALLOWED_ORIGIN, FakeClock
from tests.fakes.gemini import FakeGemini
from tests.quotas.conftest import Backend, serve, write_quota_policy
from tests.quotas.fake_firestore import FakeFirestore
from tokenvend.cli import main
from tokenvend.cli.explain import run_explain
from tokenvend.settings import Settings

QUOTAS = "  per_profile: {tokens: 1000, per_seconds: 86400}\n"
ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
EXAMPLES = ROOT / "examples" / "policies"


def cli(backend: Backend, folder: Path, *arguments: str, monkeypatch: pytest.MonkeyPatch) -> int:
    for name, value in backend.environment().items():
        monkeypatch.setenv(name, value)
    return main([*arguments, "--policy-dir", str(folder)])


def test_pause_and_resume_take_effect_within_ten_seconds_and_pause_mints_nothing(
    backend: Backend,
    tmp_path: Path,
    gemini: FakeGemini,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_quota_policy(tmp_path, "kiosk", QUOTAS)
    settings = backend.settings(
        profile="kiosk", policy_dir=tmp_path, gemini_endpoint=gemini.url, gemini_api_key="k"
    )
    client = serve(settings, clock)
    headers = {"Origin": ALLOWED_ORIGIN}
    assert client.post("/", headers=headers).status_code == 200
    assert cli(backend, tmp_path, "pause", "kiosk", monkeypatch=monkeypatch) == 0
    clock.advance(9)
    assert client.post("/", headers=headers).status_code == 200  # the cached switch
    clock.advance(1)
    paused = client.post("/", headers=headers)
    assert paused.status_code == 503
    assert paused.get_json()["error"]["status"] == "UNAVAILABLE"
    assert int(paused.headers["Retry-After"]) > 0
    assert paused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    minted = gemini.request_count
    assert cli(backend, tmp_path, "resume", "kiosk", monkeypatch=monkeypatch) == 0
    assert client.post("/", headers=headers).status_code == 503  # still cached
    clock.advance(10)
    assert client.post("/", headers=headers).status_code == 200
    assert gemini.request_count == minted + 1


def test_status_shows_each_quota_profile_and_explain_shows_the_switch(
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_quota_policy(tmp_path, "kiosk", QUOTAS)
    write_quota_policy(tmp_path, "desk", QUOTAS)
    assert cli(backend, tmp_path, "pause", "kiosk", monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert cli(backend, tmp_path, "status", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out.splitlines() == ["desk: running", "kiosk: paused"]
    assert run_explain("kiosk", tmp_path, backend.settings()) == 0
    assert "  kill switch: paused" in capsys.readouterr().out


def test_switch_commands_refuse_a_profile_that_never_reads_the_switch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["pause", "case-2-locked", "--policy-dir", str(EXAMPLES)]) == 1
    assert "never reads the switch" in capsys.readouterr().err
    assert main(["status", "case-2-locked", "--policy-dir", str(EXAMPLES)]) == 1


def test_the_shipped_default_profile_can_be_paused_and_resumed(
    backend: Backend,
    gemini: FakeGemini,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = backend.settings(
        profile="voice-assistant",
        policy_dir=POLICIES,
        gemini_endpoint=gemini.url,
        gemini_api_key="k",
    )
    client = serve(settings, clock)
    headers = {"Origin": ALLOWED_ORIGIN}
    assert client.post("/", headers=headers).status_code == 200
    assert cli(backend, POLICIES, "pause", "voice-assistant", monkeypatch=monkeypatch) == 0
    assert f"paused in database (default) of the emulator at {backend.host}" in (
        capsys.readouterr().out
    )
    assert cli(backend, POLICIES, "status", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "voice-assistant: paused"
    clock.advance(10)
    minted = gemini.request_count
    refused = client.post("/", headers=headers)
    assert refused.status_code == 503
    assert refused.get_json()["error"]["status"] == "UNAVAILABLE"
    assert gemini.request_count == minted
    assert cli(backend, POLICIES, "resume", "voice-assistant", monkeypatch=monkeypatch) == 0
    clock.advance(10)
    assert client.post("/", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "name", ["../other/kiosk", "kiosk/../kiosk", "/tmp/kiosk", "kiosk.yaml", "Kiosk", "", "kiosk\n"]
)
def test_switch_commands_accept_only_profile_names_and_write_nothing_else(
    name: str,
    fake_firestore: FakeFirestore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A policy where the path would lead: the old command found it and paused
    # "../other/kiosk", a document no function reads, and said it had worked.
    other = tmp_path / "other"
    other.mkdir()
    write_quota_policy(other, "kiosk", QUOTAS)
    folder = tmp_path / "policies"
    folder.mkdir()
    write_quota_policy(folder, "kiosk", QUOTAS)
    backend = Backend("fake", fake_firestore.host, "test-names")
    for command in ("pause", "resume", "status"):
        assert cli(backend, folder, command, name, monkeypatch=monkeypatch) == 1
        assert "not a profile name" in capsys.readouterr().err
    assert fake_firestore.documents == {} and not fake_firestore.calls


def test_explain_says_unknown_quickly_when_no_store_is_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_quota_policy(tmp_path, "kiosk", QUOTAS + "  when_store_unavailable: allow\n")
    assert run_explain("kiosk", tmp_path, Settings()) == 0
    out = capsys.readouterr().out
    assert "  all callers: 1000 token(s) per 86400 s (24 h) window" in out
    assert "when Firestore is unavailable: allow" in out
    assert "  kill switch: unknown (a policy with quotas or a kill switch needs GOOGLE_" in out


def test_pause_reports_an_unreachable_store_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_quota_policy(tmp_path, "kiosk", QUOTAS)
    with FakeFirestore() as closed:
        host = closed.host
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", host)
    assert main(["pause", "kiosk", "--policy-dir", str(tmp_path)]) == 1
    assert "the switch was not set: Firestore unreachable" in capsys.readouterr().err


def test_status_names_a_policy_it_cannot_read_instead_of_leaving_it_out(
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_quota_policy(tmp_path, "kiosk", QUOTAS)
    (tmp_path / "broken.yaml").write_text("description: [unclosed\n", encoding="utf-8")
    assert cli(backend, tmp_path, "status", monkeypatch=monkeypatch) == 1
    assert capsys.readouterr().out.splitlines() == [
        "broken: policy invalid, switch not shown (run validate)",
        "kiosk: running",
    ]
