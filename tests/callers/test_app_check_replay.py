"""``app_check.consume: true``: each App Check token mints once, via verifyAppCheckToken."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.callers.conftest import CallerClient
from tests.conftest import ALLOWED_ORIGIN, log_lines
from tests.fakes.gemini import FakeGemini
from tests.fakes.keys import (
    PROJECT_NUMBER,
    app_check_claims,
    signing_key,
)
from tests.fakes.server import LoopbackServer, QuietHandler
from tokenvend.callers.app_check_replay import ReplayCheck
from tokenvend.errors import Unavailable

KEY = signing_key("app-check-replay")
ATTACKER = signing_key("attacker")
VERIFY_PATH = f"/v1beta/projects/{PROJECT_NUMBER}:verifyAppCheckToken"
CONSUMING = f"""\
  callers: anonymous
  app_check:
    project_number: "{PROJECT_NUMBER}"
    app_ids: ["1:{PROJECT_NUMBER}:web:0a1b2c3d4e5f"]
    consume: true
"""


class FakeAppCheck(LoopbackServer):
    """Firebase App Check's verifyAppCheckToken: remembers every token it has seen.

    ``status`` answers every call with that error; ``body`` answers 200 with those bytes
    instead of the real answer; ``trickle`` sends them a byte at a time until stopped.
    """

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.seen: set[str] = set()
        self.calls = 0
        self.status = 200
        self.error_body = b'{"error": {}}'
        self.body: bytes | None = None
        self.trickle = False
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def stop(self) -> None:
        self.stopped.set()
        super().stop()


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802
        fake: FakeAppCheck = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with fake.lock:
            fake.calls += 1
            token = body["appCheckToken"]
            consumed = token in fake.seen
            fake.seen.add(token)
        if self.path != VERIFY_PATH:
            self.send_json(404, b"{}")
        elif fake.status != 200:
            self.send_json(fake.status, fake.error_body)
        elif fake.trickle:
            self.send_response(200)
            self.send_header("Content-Length", "10000")
            self.end_headers()
            # Paces the bytes (it synchronises nothing): well inside any read timeout.
            while not fake.stopped.wait(0.05):
                self.wfile.write(b" ")
                self.wfile.flush()
        elif fake.body is not None:
            self.send_json(200, fake.body)
        else:
            # The first use: the field is absent; later uses: alreadyConsumed true.
            self.send_json(200, b'{"alreadyConsumed": true}' if consumed else b"{}")


@pytest.fixture
def app_check() -> Iterator[FakeAppCheck]:
    with FakeAppCheck() as server:
        yield server


PUBLISHED = [KEY]


@pytest.fixture
def client(caller_client: CallerClient, app_check: FakeAppCheck) -> FlaskClient:
    return caller_client(CONSUMING, TOKENVEND_APP_CHECK_VERIFY_URL=app_check.url)


def post(client: FlaskClient, token: str) -> TestResponse:
    return client.post("/", headers={"Origin": ALLOWED_ORIGIN, "X-Firebase-AppCheck": token})


def test_a_limited_use_token_mints_once_and_its_second_use_gets_401(
    client: FlaskClient,
    app_check: FakeAppCheck,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = KEY.sign(app_check_claims(jti="first"))
    assert post(client, token).status_code == 200
    replayed = post(client, token)
    assert replayed.status_code == 401
    assert replayed.get_json()["error"]["status"] == "UNAUTHENTICATED"
    assert replayed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert post(client, KEY.sign(app_check_claims(jti="second"))).status_code == 200
    assert gemini.request_count == 2
    output = capsys.readouterr().out
    assert [line["reason"] for line in log_lines(output)] == [
        "minted",
        "app_check_replayed",
        "minted",
    ]
    assert token not in output


def test_a_forged_token_is_refused_without_asking_firebase(
    client: FlaskClient, app_check: FakeAppCheck
) -> None:
    assert post(client, ATTACKER.sign(app_check_claims())).status_code == 401
    assert app_check.calls == 0


def test_when_firebase_cannot_say_the_request_gets_503_and_no_token(
    client: FlaskClient, app_check: FakeAppCheck, gemini: FakeGemini
) -> None:
    app_check.status = 500
    refused = post(client, KEY.sign(app_check_claims(jti="x")))
    assert refused.status_code == 503
    assert "Retry-After" in refused.headers
    assert gemini.request_count == 0


def test_a_token_firebase_calls_invalid_gets_401(
    client: FlaskClient, app_check: FakeAppCheck, capsys: pytest.CaptureFixture[str]
) -> None:
    app_check.status = 400  # Firebase's answer for a token of an unsupported provider
    assert post(client, KEY.sign(app_check_claims(jti="y"))).status_code == 401
    assert log_lines(capsys.readouterr().out)[-1]["reason"] == "app_check_refused"


@pytest.mark.parametrize("status", [401, 403])
def test_firebase_refusing_the_function_itself_is_a_503_operators_can_alert_on(
    client: FlaskClient,
    app_check: FakeAppCheck,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    status: int,
) -> None:
    # The account lacks roles/firebaseappcheck.tokenVerifier: not the browser's fault.
    app_check.status = status
    app_check.error_body = json.dumps(
        {"error": {"code": status, "status": "PERMISSION_DENIED", "message": "Permission denied"}}
    ).encode()
    token = KEY.sign(app_check_claims(jti=f"denied-{status}"))
    refused = post(client, token)
    assert refused.status_code == 503
    assert "Retry-After" in refused.headers
    assert "role" not in refused.get_data(as_text=True)
    assert gemini.request_count == 0
    output = capsys.readouterr().out
    line = log_lines(output)[-1]
    assert line["reason"] == "app_check_verifier_denied"
    assert line["severity"] == "ERROR"
    assert "roles/firebaseappcheck.tokenVerifier" in line["detail"]
    assert "PERMISSION_DENIED: Permission denied" in line["detail"]
    assert token not in output


HOSTILE_ANSWERS = {
    "a-list": b"[]",
    "a-string": b'"consumed"',
    "not-json": b"<html>",
    "consumed-as-a-string": b'{"alreadyConsumed": "true"}',
    "consumed-as-an-object": b'{"alreadyConsumed": {"really": true}}',
    "nested-past-the-stack": b'{"alreadyConsumed": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "error-nested-past-the-stack": b'{"error": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("body", HOSTILE_ANSWERS.values(), ids=HOSTILE_ANSWERS.keys())
def test_an_answer_of_the_wrong_shape_is_a_503_never_a_500(
    client: FlaskClient,
    app_check: FakeAppCheck,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
    body: bytes,
) -> None:
    app_check.body = body
    refused = post(client, KEY.sign(app_check_claims(jti="odd")))
    assert refused.status_code == 503
    assert gemini.request_count == 0
    output = capsys.readouterr().out
    assert log_lines(output)[-1]["reason"] == "app_check_unavailable"
    assert "stack_trace" not in output


def test_a_trickled_answer_ends_at_one_total_deadline(app_check: FakeAppCheck) -> None:
    app_check.trickle = True
    check = ReplayCheck(PROJECT_NUMBER, base_url=app_check.url, deadline_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(Unavailable) as refused:
        check.consume(KEY.sign(app_check_claims(jti="slow")))
    # Each byte comes well within any per-read timeout; the answer would take 8 minutes.
    assert time.monotonic() - started < 5
    assert refused.value.reason == "app_check_unavailable"
    assert "deadline" in (refused.value.detail or "")
