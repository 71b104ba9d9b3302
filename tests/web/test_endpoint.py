"""The function as functions-framework serves it: the browser contract of the README."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.test import TestResponse

from tests.conftest import ALLOWED_ORIGIN, API_KEY, SECRET, AppFactory, LogCapture, log_lines
from tests.endpoints import BuggyCallerCheck, serve_endpoint
from tests.fakes.gemini import GARBAGE, HANG, FakeGemini, status
from tests.fakes.secret_manager import FakeSecretManager
from tokenvend.errors import PolicyError

CORS_HEADERS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
}


def post(client_factory: AppFactory, **kwargs: object) -> TestResponse:
    return client_factory().post("/", headers={"Origin": ALLOWED_ORIGIN}, **kwargs)


def assert_error(response: TestResponse, code: int, status_name: str) -> str:
    assert response.status_code == code
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status_name
    assert set(body["error"]) == {"code", "status", "message", "details"}
    (info,) = body["error"]["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["domain"] == "tokenvend"
    message: str = body["error"]["message"]
    return message


def test_post_from_allowed_origin_returns_a_token_the_browser_may_read(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    response = post(make_client)
    after = datetime.now(UTC)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Vary"] == "Origin"
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {
        "name": gemini.minted[0],
        "expireTime": body["expireTime"],
        "newSessionExpireTime": body["newSessionExpireTime"],
        "uses": 1,
        "model": "models/gemini-3.8-live",
        "apiVersion": "v1alpha",
        "websocketUrl": gemini.url.replace("http://", "ws://")
        + "/ws/google.ai.generativelanguage.v1alpha.GenerativeService"
        ".BidiGenerateContentConstrained",
    }
    expire = datetime.strptime(body["expireTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(seconds=600) <= expire <= after + timedelta(seconds=600)
    sent = gemini.requests[0].json
    assert sent["expireTime"] == body["expireTime"]
    assert sent["newSessionExpireTime"] == body["newSessionExpireTime"]
    assert list(sent) == ["expireTime", "newSessionExpireTime", "uses", "bidiGenerateContentSetup"]


def test_unconstrained_profile_reports_no_model(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    client = make_client("case-1-unconstrained", TOKENVEND_POLICY_DIR="examples/policies")
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200
    assert response.get_json()["model"] is None
    assert "bidiGenerateContentSetup" not in gemini.requests[0].json


def test_preflight_from_allowed_origin_gets_204_with_methods_headers_and_max_age(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    response = make_client().options(
        "/",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Max-Age"] == "3600"
    assert response.headers["Vary"] == "Origin"
    assert gemini.requests == []


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://localhost:5174", "null", "http://LOCALHOST:5173"]
)
def test_request_from_unlisted_origin_gets_403_and_no_cors_headers(
    make_client: AppFactory, gemini: FakeGemini, method: str, origin: str
) -> None:
    response = make_client().open("/", method=method, headers={"Origin": origin})
    assert assert_error(response, 403, "PERMISSION_DENIED") == "origin not allowed"
    assert response.get_json()["error"]["details"][0]["reason"] == "ORIGIN_NOT_ALLOWED"
    assert not CORS_HEADERS & set(response.headers.keys())
    assert gemini.requests == []


def test_request_without_origin_is_served_without_cors_headers(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    response = make_client().post("/")
    assert response.status_code == 200
    assert not CORS_HEADERS & set(response.headers.keys())
    assert response.get_json()["name"] == gemini.minted[0]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
def test_methods_other_than_post_and_options_get_405_with_allow(
    make_client: AppFactory, method: str
) -> None:
    response = make_client().open("/", method=method, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    if method != "HEAD":
        assert_error(response, 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", None),
        (b"{}", "application/json"),
        (b"", "text/plain"),
        (b"  \n", "text/plain"),
        (b'{"options": {}}', "application/json; charset=utf-8"),
    ],
)
def test_empty_body_or_empty_object_is_accepted(
    make_client: AppFactory, body: bytes, content_type: str | None
) -> None:
    assert post(make_client, data=body, content_type=content_type).status_code == 200


def test_body_over_16_kib_gets_413_before_it_is_read(make_client: AppFactory) -> None:
    body = json.dumps({"options": {"x": "a" * 16384}})
    response = post(make_client, data=body, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_non_json_body_gets_415_saying_to_send_json(make_client: AppFactory) -> None:
    response = post(
        make_client, data="voice=Kore", content_type="application/x-www-form-urlencoded"
    )
    assert "application/json" in assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "request body is not valid JSON"),
        ("[1, 2]", "request body must be a JSON object"),
        ('"text"', "request body must be a JSON object"),
        ('{"model": "gemini-pro"}', "unknown request field 'model'; allowed: options"),
        ('{"options": []}', "'options' must be a JSON object"),
        ('{"options": {"voice": "Puck"}}', "this profile accepts no client options"),
        ('{"options": {}, "options": {"voice": "Puck"}}', "repeats the key 'options'"),
        ('{"options": {"voice": "Kore", "voice": "Puck"}}', "repeats the key 'voice'"),
    ],
)
def test_malformed_or_disallowed_body_gets_400_saying_why(
    make_client: AppFactory, gemini: FakeGemini, body: str, message: str
) -> None:
    response = post(make_client, data=body, content_type="application/json")
    assert message in assert_error(response, 400, "INVALID_ARGUMENT")
    assert gemini.requests == []


def test_gemini_quota_gets_429_with_retry_after_passed_on(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    gemini.answer(status(429, "quota", {"Retry-After": "42"}))
    response = post(make_client)
    assert_error(response, 429, "RESOURCE_EXHAUSTED")
    assert response.headers["Retry-After"] == "42"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "answers",
    [(status(500), status(500)), (status(400, "API key not valid"),), (GARBAGE,)],
    ids=["5xx-twice", "4xx", "garbage"],
)
def test_gemini_error_or_unreadable_answer_gets_502_without_upstream_detail(
    make_client: AppFactory, gemini: FakeGemini, answers: tuple[object, ...]
) -> None:
    gemini.answer(*answers)  # type: ignore[arg-type]
    response = post(make_client)
    message = assert_error(response, 502, "BAD_GATEWAY")
    assert "API key" not in message and "html" not in response.get_data(as_text=True)


def test_gemini_unreachable_gets_503_with_retry_after(make_client: AppFactory) -> None:
    response = post(lambda: make_client(TOKENVEND_GEMINI_ENDPOINT="http://127.0.0.1:9"))
    assert_error(response, 503, "UNAVAILABLE")
    assert response.headers["Retry-After"].isdigit()


def test_gemini_silent_gets_504_within_the_configured_deadline(
    make_client: AppFactory, gemini: FakeGemini
) -> None:
    gemini.answer(HANG)
    response = post(lambda: make_client(TOKENVEND_GEMINI_TIMEOUT_SECONDS="0.3"))
    assert_error(response, 504, "DEADLINE_EXCEEDED")


def test_no_api_key_tells_the_browser_nothing_and_the_log_both_variables(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    response = post(lambda: make_client(GEMINI_API_KEY=""))
    assert_error(response, 503, "UNAVAILABLE")
    public = response.get_data(as_text=True)
    assert "API_KEY" not in public and "TOKENVEND" not in public
    lines = log_lines(capsys.readouterr().out)
    assert "GEMINI_API_KEY" in lines[0]["message"]  # said once at cold start
    refusal = lines[-1]
    assert refusal["reason"] == "no_api_key"
    assert "TOKENVEND_API_KEY_SECRET" in refusal["detail"] and "GEMINI_API_KEY" in refusal["detail"]


def test_key_from_secret_manager_is_fetched_once_for_many_tokens(
    make_client: AppFactory, gemini: FakeGemini, secret_manager: FakeSecretManager
) -> None:
    client = make_client(
        GEMINI_API_KEY="",
        TOKENVEND_API_KEY_SECRET=SECRET,
        TOKENVEND_SECRET_MANAGER_ENDPOINT=secret_manager.url,
    )
    for _ in range(10):
        assert client.post("/").status_code == 200
    assert secret_manager.calls == 1
    assert {request.headers["x-goog-api-key"] for request in gemini.requests} == {API_KEY}


def test_missing_secret_gets_503_and_the_log_names_the_secret(
    make_client: AppFactory,
    secret_manager: FakeSecretManager,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = make_client(
        GEMINI_API_KEY="",
        TOKENVEND_API_KEY_SECRET="projects/demo/secrets/absent",
        TOKENVEND_SECRET_MANAGER_ENDPOINT=secret_manager.url,
    )
    assert_error(client.post("/"), 503, "UNAVAILABLE")
    errors = [e for e in log_lines(capsys.readouterr().out) if e.get("secret")]
    assert errors[0]["secret"] == "projects/demo/secrets/absent/versions/latest"


def test_unexpected_failure_gets_a_generic_500_and_a_logged_stack_trace(
    gemini: FakeGemini, capsys: pytest.CaptureFixture[str]
) -> None:
    client = serve_endpoint(callers=BuggyCallerCheck(), gemini_url=gemini.url, api_key=API_KEY)
    response = client.post("/", headers={"Origin": ALLOWED_ORIGIN})
    assert assert_error(response, 500, "INTERNAL") == "internal error"
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    (entry,) = log_lines(capsys.readouterr().out)
    assert entry["severity"] == "ERROR" and entry["reason"] == "internal"
    assert "RuntimeError: a bug in a caller check" in entry["stack_trace"]
    assert "a bug" not in response.get_data(as_text=True)


def test_garbled_secret_manager_reply_is_503_not_a_crash(
    make_client: AppFactory,
    secret_manager: FakeSecretManager,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret_manager.garbage = True  # the client library cannot parse the reply
    client = make_client(
        GEMINI_API_KEY="",
        TOKENVEND_API_KEY_SECRET=SECRET,
        TOKENVEND_SECRET_MANAGER_ENDPOINT=secret_manager.url,
    )
    assert_error(client.post("/"), 503, "UNAVAILABLE")
    logged = log_lines(capsys.readouterr().out)
    assert any(entry.get("secret") == f"{SECRET}/versions/latest" for entry in logged)
    assert not any("stack_trace" in entry for entry in logged)


@pytest.mark.parametrize("bad_key", ["AIza-first\nsecond", "AIza key", "AIza\u00e9", "AIza\rX"])
def test_api_key_a_header_cannot_carry_is_503_and_never_logged(
    make_client: AppFactory,
    gemini: FakeGemini,
    secret_manager: FakeSecretManager,
    capsys: pytest.CaptureFixture[str],
    bad_key: str,
) -> None:
    secret_manager.add_version(SECRET, bad_key.encode())
    client = make_client(
        GEMINI_API_KEY="",
        TOKENVEND_API_KEY_SECRET=SECRET,
        TOKENVEND_SECRET_MANAGER_ENDPOINT=secret_manager.url,
    )
    local = make_client(GEMINI_API_KEY=bad_key)
    for each in (client, local):
        assert_error(each.post("/"), 503, "UNAVAILABLE")
    output = capsys.readouterr().out
    assert bad_key.strip() not in output and "AIza" not in output
    assert gemini.requests == []


def test_each_request_writes_one_structured_log_line(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    client.post(
        "/",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1",
        },
    )
    client.post("/", headers={"Origin": "https://evil.example"})
    ok, refused = log_lines(capsys.readouterr().out)
    assert ok["severity"] == "INFO" and ok["status"] == 200 and ok["reason"] == "minted"
    assert ok["profile"] == "voice-assistant" and ok["origin"] == ALLOWED_ORIGIN
    assert ok["caller_kind"] == "anonymous"
    assert ok["trace_id"] == "105445aa7843bc8bf206b12000100000"
    assert isinstance(ok["latency_ms"], float) and isinstance(ok["upstream_ms"], float)
    assert refused["severity"] == "WARNING" and refused["status"] == 403
    assert refused["reason"] == "origin_not_allowed"


def test_a_huge_origin_is_logged_cut_short_even_on_a_403(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    origin = "https://" + "a" * 8000 + ".example"
    assert client.post("/", headers={"Origin": origin}).status_code == 403
    (line,) = log_lines(capsys.readouterr().out)
    assert len(line["origin"]) < 300
    assert line["origin"].startswith("https://aaa") and "8016 characters" in line["origin"]


@pytest.mark.parametrize(
    "trace",
    [
        "a" * 8000,  # passes isalnum, is no trace id
        "105445aa7843bc8bf206b1200010000/1;o=1",  # 31 digits
        "105445aa7843bc8bf206b12000100000/1;o=1\x85forged",
        "zz5445aa7843bc8bf206b12000100000/1",
        "105445aa7843bc8bf206b12000100000/" + "9" * 30,
    ],
    ids=["8000-characters", "too-short", "with-a-next-line", "not-hex", "span-too-long"],
)
def test_a_trace_header_of_another_form_is_not_logged(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str], trace: str
) -> None:
    client = make_client()
    capsys.readouterr()
    client.post("/", headers={"Origin": ALLOWED_ORIGIN, "X-Cloud-Trace-Context": trace})
    (line,) = log_lines(capsys.readouterr().out)
    assert "trace_id" not in line and "logging.googleapis.com/spanId" not in line


@pytest.mark.parametrize(
    ("span", "logged"),
    [
        ("1", "0000000000000001"),
        ("2205310701640571284", "1e9ad6661ea75994"),
        ("18446744073709551615", "ffffffffffffffff"),
        ("0", None),  # no span
        ("18446744073709551616", None),  # more than the 8 bytes a span id has
    ],
)
def test_the_span_id_is_logged_as_the_16_hex_digits_cloud_logging_links_to_a_span(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str], span: str, logged: str | None
) -> None:
    client = make_client()
    capsys.readouterr()
    trace = f"105445aa7843bc8bf206b12000100000/{span};o=1"
    client.post("/", headers={"Origin": ALLOWED_ORIGIN, "X-Cloud-Trace-Context": trace})
    (line,) = log_lines(capsys.readouterr().out)
    assert line["trace_id"] == "105445aa7843bc8bf206b12000100000"
    assert line.get("logging.googleapis.com/spanId") == logged


def test_a_trace_id_in_capitals_is_logged_as_cloud_trace_writes_it(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    trace = "105445AA7843BC8BF206B12000100000"
    client.post("/", headers={"Origin": ALLOWED_ORIGIN, "X-Cloud-Trace-Context": trace})
    (line,) = log_lines(capsys.readouterr().out)
    assert line["trace_id"] == trace.lower()


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029", "\x1b", "\u202e"])
def test_a_log_line_stays_one_printable_line_whatever_it_quotes(separator: str) -> None:
    log = LogCapture()
    log.log.emit("WARNING", f"upstream said{separator}forged", origin=f"x{separator}y")
    text = log.text
    assert text.count("\n") == 1 and len(text.splitlines()) == 1
    assert text.rstrip("\n").isprintable()
    (entry,) = log.entries()
    assert entry["message"] == f"upstream said{separator}forged"
    assert entry["origin"] == f"x{separator}y"


def test_an_origin_with_a_next_line_byte_stays_on_its_log_line(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # Headers are read as Latin-1, so the byte 0x85 arrives as U+0085 (NEL).
    client = make_client()
    capsys.readouterr()
    client.post("/", headers={"Origin": 'https://a.example\x85{"forged": 1}'})
    output = capsys.readouterr().out
    assert len(output.splitlines()) == 1
    assert json.loads(output)["origin"] == 'https://a.example\x85{"forged": 1}'


def test_api_key_and_minted_tokens_never_appear_in_logs_or_error_bodies(
    make_client: AppFactory,
    gemini: FakeGemini,
    secret_manager: FakeSecretManager,
    capfd: pytest.CaptureFixture[str],
) -> None:
    bodies: list[str] = []
    for environment in (
        {},
        {
            "GEMINI_API_KEY": "",
            "TOKENVEND_API_KEY_SECRET": SECRET,
            "TOKENVEND_SECRET_MANAGER_ENDPOINT": secret_manager.url,
        },
    ):
        client = make_client(**environment)
        gemini.answer(status(400, f"bad key {API_KEY}"), status(429), GARBAGE)
        for _ in range(5):
            bodies.append(client.post("/", headers={"Origin": ALLOWED_ORIGIN}).get_data(True))
        secret_manager.corrupt_checksum = True
    output = capfd.readouterr()
    everything = output.out + output.err + "".join(bodies)
    assert len(gemini.minted) >= 2
    for secret_value in (API_KEY, *gemini.minted):
        assert secret_value not in output.out + output.err
    assert API_KEY not in everything


def test_invalid_policy_stops_the_function_at_cold_start_naming_file_and_field(
    make_client: AppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path("policies/voice-assistant.yaml").read_text(encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(text.replace("uses: 1", "uses: many"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        make_client("broken", TOKENVEND_POLICY_DIR=str(tmp_path))
    assert "broken.yaml" in str(caught.value) and "token.uses" in str(caught.value)
    (entry,) = log_lines(capsys.readouterr().out)
    assert entry["severity"] == "CRITICAL" and "token.uses" in entry["message"]


def test_unset_profile_stops_the_function_naming_the_profiles_there_are(
    make_client: AppFactory,
) -> None:
    with pytest.raises(Exception, match=r"TOKENVEND_PROFILE is not set.*voice-assistant"):
        make_client("")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TOKENVEND_API_KEY_TTL_SECONDS", "ten"),
        ("TOKENVEND_GEMINI_TIMEOUT_SECONDS", "0"),
        ("TOKENVEND_GEMINI_ENDPOINT", "generativelanguage.googleapis.com"),
        ("TOKENVEND_API_KEY_SECRET", "gemini-key"),
    ],
)
def test_bad_setting_stops_the_function_naming_the_variable(
    make_client: AppFactory, variable: str, value: str
) -> None:
    with pytest.raises(Exception, match=variable):
        make_client(**{variable: value, "TOKENVEND_SECRET_MANAGER_ENDPOINT": "http://127.0.0.1:9"})
