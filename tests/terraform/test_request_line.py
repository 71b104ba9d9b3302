"""The request metrics count requests: only the one line each request ends with
carries the request event the Terraform filters require, and that line times
Gemini's failed calls as well as its successful ones.

The lines come from the real function (main.py through functions-framework's
create_app, with fakes of Gemini, Firestore and Secret Manager on loopback); the
filters from the planned metrics (test_plan.py checks every request metric
requires the event)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ALLOWED_ORIGIN, API_KEY, AppFactory, FakeClock, LogCapture, log_lines
from tests.fakes.gemini import FakeGemini, status
from tests.fakes.secret_manager import FakeSecretManager
from tests.quotas.conftest import write_quota_policy
from tests.quotas.fake_firestore import FakeFirestore
from tests.terraform.tfconfig import REQUEST_EVENT, TF_DIR, Config, cached_api_key, unquote


def terraform_request_line() -> tuple[str, str]:
    (locals_block,) = Config.load(TF_DIR).files["ops_reasons.tf"]["locals"]
    line = locals_block["request_line"]
    return unquote(line["field"]), unquote(line["value"])


def request_lines(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    field, value = terraform_request_line()
    return [line for line in lines if line.get(field) == value]


def test_terraform_counts_requests_by_the_event_the_function_writes() -> None:
    assert terraform_request_line() == ("event", REQUEST_EVENT)


def test_a_warning_on_the_way_is_not_counted_as_a_request(
    make_client: AppFactory,
    tmp_path: Path,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The quota store down with `allow`: a warning with reason quota_store_unavailable,
    # then the request is served all the same.
    quotas = "  per_caller: {tokens: 3, per_seconds: 60}\n  when_store_unavailable: allow\n"
    write_quota_policy(tmp_path, "kiosk", quotas)
    with FakeFirestore() as firestore:
        firestore.answer_with(500)
        client = make_client(
            "kiosk", TOKENVEND_POLICY_DIR=str(tmp_path), FIRESTORE_EMULATOR_HOST=firestore.host
        )
        capsys.readouterr()
        response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 200
    lines = log_lines(capsys.readouterr().out)
    warning = next(line for line in lines if line.get("reason") == "quota_store_unavailable")
    counted = request_lines(lines)
    assert [line["reason"] for line in counted] == ["minted"]
    assert warning not in counted
    assert counted[0] is lines[-1]


def test_gemini_refusals_logged_on_the_way_are_not_requests(
    make_client: AppFactory, gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    gemini.answer(status(500), status(500))  # the first try and its one retry
    client = make_client()
    capsys.readouterr()

    assert client.post("/", headers={"Origin": ALLOWED_ORIGIN}).status_code == 502

    lines = log_lines(capsys.readouterr().out)
    assert len(lines) == 3  # two "Gemini refused" warnings, then the request
    assert request_lines(lines) == [lines[-1]]
    assert lines[-1]["reason"] == "upstream_500"


def test_a_key_refresh_warning_is_not_a_request_line(
    clock: FakeClock, log_capture: LogCapture
) -> None:
    with FakeSecretManager() as secret_manager:
        secret_manager.add_version("projects/p/secrets/key", API_KEY.encode())
        keys = cached_api_key(secret_manager.url, "projects/p/secrets/key", clock, log_capture.log)
        keys.api_key()
        secret_manager.fail_always(503)
        clock.advance(601)
        assert keys.api_key() == API_KEY  # the last good key, with a warning
    (warning,) = [e for e in log_capture.entries() if e["severity"] == "WARNING"]
    assert str(warning["reason"]).startswith("secret_")
    assert request_lines([warning]) == []


def test_a_failed_gemini_call_is_timed_like_a_successful_one(
    make_client: AppFactory, gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    gemini.answer(status(400, "API key not valid"))
    capsys.readouterr()
    client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    client.post("/", headers={"Origin": ALLOWED_ORIGIN})

    failed, minted = request_lines(log_lines(capsys.readouterr().out))
    assert (failed["reason"], minted["reason"]) == ("upstream_400", "minted")
    for line in (failed, minted):
        assert isinstance(line["upstream_ms"], float) and line["upstream_ms"] >= 0


def test_a_request_that_never_reached_gemini_has_no_gemini_latency(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(GEMINI_API_KEY="")  # no key: 503 before any Gemini call
    capsys.readouterr()
    client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    (line,) = request_lines(log_lines(capsys.readouterr().out))
    assert line["reason"] == "no_api_key"
    assert "upstream_ms" not in line
