"""The function as a real functions-framework process, spoken to over real HTTP."""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ALLOWED_ORIGIN, API_KEY, SECRET
from tests.fakes.gemini import FakeGemini
from tests.fakes.secret_manager import FakeSecretManager
from tests.process import FunctionProcess
from tokenvend.app import endpoint_from_environment
from tokenvend.errors import ConfigurationError

pytestmark = pytest.mark.process


@pytest.mark.parametrize("debug", [True, False], ids=["dev-server", "gunicorn"])
def test_real_process_mints_a_token_with_the_key_from_secret_manager(
    gemini: FakeGemini, secret_manager: FakeSecretManager, debug: bool
) -> None:
    environment = {
        "TOKENVEND_PROFILE": "voice-assistant",
        "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
        "TOKENVEND_API_KEY_SECRET": SECRET,
        "TOKENVEND_SECRET_MANAGER_ENDPOINT": secret_manager.url,
        "GEMINI_API_KEY": "",
    }
    with FunctionProcess(environment, debug=debug) as function:
        function.wait_until_listening()
        response = requests.post(
            function.url, headers={"Origin": ALLOWED_ORIGIN}, json={}, timeout=10
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == gemini.minted[0]
        assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert gemini.requests[0].headers["x-goog-api-key"] == API_KEY
        preflight = requests.options(
            function.url,
            headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert preflight.status_code == 204
        chunked = http.client.HTTPConnection("127.0.0.1", function.port, timeout=10)
        chunked.request(
            "POST",
            "/",
            body=iter([b"{" + b" " * 10000, b" " * 10000 + b"}"]),
            headers={"Content-Type": "application/json", "Origin": ALLOWED_ORIGIN},
            encode_chunked=True,
        )
        assert chunked.getresponse().status == 413
        pieces = http.client.HTTPConnection("127.0.0.1", function.port, timeout=10)
        pieces.request(
            "POST",
            "/",
            body=iter([b'{"opt', b'ions"', b": {}}"]),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        assert pieces.getresponse().status == 200
    logged = [json.loads(line) for line in function.lines if line.startswith("{")]
    assert [entry["status"] for entry in logged if "status" in entry] == [200, 204, 413, 200]
    assert API_KEY not in function.output
    assert not any(token in function.output for token in gemini.minted)


def test_real_process_with_an_invalid_policy_refuses_to_start_naming_file_and_field(
    tmp_path: Path,
) -> None:
    text = Path("policies/voice-assistant.yaml").read_text(encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(text.replace("lock: all", "lock: most"), encoding="utf-8")
    environment = {"TOKENVEND_PROFILE": "broken", "TOKENVEND_POLICY_DIR": str(tmp_path)}
    with FunctionProcess(environment) as function:
        assert function.wait_for_exit() != 0
    assert "broken.yaml" in function.output and "live.lock" in function.output
    # The one CRITICAL line is all it prints: no traceback through functions-framework.
    assert "Traceback" not in function.output
    [line] = function.lines
    entry = json.loads(line)
    assert entry["severity"] == "CRITICAL"
    assert entry["message"].startswith("tokenvend cannot start: ")


def test_real_process_with_a_bad_setting_prints_one_line_and_no_traceback() -> None:
    environment = {"TOKENVEND_PROFILE": "voice-assistant", "TOKENVEND_POLICY_DIR": "no/such/dir"}
    with FunctionProcess(environment) as function:
        assert function.wait_for_exit() != 0
    assert "Traceback" not in function.output
    [line] = function.lines
    assert "tokenvend cannot start: " in json.loads(line)["message"]


def test_a_configuration_error_leaves_no_traceback_hook_behind_for_other_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)  # restored after the test
    with pytest.raises(ConfigurationError) as caught:
        endpoint_from_environment({"TOKENVEND_PROFILE": "nope", "TOKENVEND_POLICY_DIR": "policies"})
    sys.excepthook(type(caught.value), caught.value, caught.value.__traceback__)
    assert capsys.readouterr().err == ""  # the CRITICAL line has said it; no traceback
    other = RuntimeError("something else")
    sys.excepthook(RuntimeError, other, None)
    assert "RuntimeError: something else" in capsys.readouterr().err
