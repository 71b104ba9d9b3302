"""openapi.yaml is the endpoint's contract: the real responses conform to it.

Two ways: each documented status is produced for real (through functions-framework's
app, with the Gemini fake behind it) and validated by openapi-core, an independent
validator; and schemathesis fuzzes a real functions-framework process and finds no
server error and no response outside the schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest
from openapi_spec_validator import validate as validate_spec
from werkzeug.test import TestResponse

from tests.conftest import ALLOWED_ORIGIN, API_KEY, AppFactory
from tests.endpoints import BuggyCallerCheck, serve_endpoint
from tests.fakes.gemini import GARBAGE, HANG, Answer, FakeGemini, status
from tests.fakes.keys import FIREBASE_PROJECT, write_policy
from tests.process import FunctionProcess
from tokenvend import errors

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
# The spec's local server; the test client's requests are addressed to it so that
# openapi-core finds the operation.
BASE_URL = "http://127.0.0.1:8080"
UNLISTED_ORIGIN = "https://elsewhere.example"
DESIGN_ERRORS = {400, 401, 403, 405, 408, 413, 415, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Scenario:
    """One real request to the function, and the status it must get."""

    status: int
    method: str = "POST"
    origin: str | None = ALLOWED_ORIGIN
    body: str | None = "{}"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    gemini: Answer | None = None
    environment: dict[str, str] = field(default_factory=dict)
    access: str | None = None  # a policy access section of its own, as YAML
    buggy_caller_check: bool = False  # served by an endpoint whose caller check has a bug


SCENARIOS = {
    "token-no-body": Scenario(200, body=None),
    "token-empty-object": Scenario(200),
    "token-without-origin": Scenario(200, origin=None, body=None),
    "preflight-allowed-origin": Scenario(
        204, "OPTIONS", body=None, headers={"Access-Control-Request-Method": "POST"}
    ),
    "preflight-without-origin": Scenario(204, "OPTIONS", origin=None, body=None),
    "preflight-unlisted-origin": Scenario(403, "OPTIONS", origin=UNLISTED_ORIGIN, body=None),
    "post-unlisted-origin": Scenario(403, origin=UNLISTED_ORIGIN),
    "malformed-json": Scenario(400, body="{"),
    "unknown-field": Scenario(400, body='{"voice": "Kore"}'),
    "option-not-allowed": Scenario(400, body='{"options": {"temperature": 2}}'),
    "caller-refused": Scenario(
        401,
        headers={"Authorization": "Bearer not-a-jwt"},
        access=f"  callers:\n    firebase:\n      project_id: {FIREBASE_PROJECT}\n",
        environment={"TOKENVEND_FIREBASE_CERTS_URL": "http://127.0.0.1:9/certs"},
    ),
    "body-too-large": Scenario(413, body="{" + " " * 17000 + "}"),
    "body-not-json": Scenario(415, body="options=1", content_type="text/plain"),
    "gemini-quota": Scenario(429, gemini=status(429, headers={"Retry-After": "17"})),
    "unexpected-failure": Scenario(500, buggy_caller_check=True),
    "deeply-nested-json": Scenario(400, body="[" * 10000),
    "gemini-refuses": Scenario(502, gemini=status(400, "API key not valid")),
    "gemini-garbage": Scenario(502, gemini=GARBAGE),
    "gemini-unreachable": Scenario(
        503, environment={"TOKENVEND_GEMINI_ENDPOINT": "http://127.0.0.1:9"}
    ),
    "gemini-silent": Scenario(
        504, gemini=HANG, environment={"TOKENVEND_GEMINI_TIMEOUT_SECONDS": "0.5"}
    ),
}


def _send(scenario: Scenario, client: FlaskClient) -> TestResponse:
    headers = dict(scenario.headers)
    if scenario.origin:
        headers["Origin"] = scenario.origin
    if scenario.body is not None:
        headers["Content-Type"] = scenario.content_type
    return client.open(
        "/", method=scenario.method, base_url=BASE_URL, headers=headers, data=scenario.body
    )


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(SPEC)


def test_openapi_yaml_is_a_valid_openapi_3_1_document() -> None:
    validate_spec(SPEC)
    assert SPEC["openapi"].startswith("3.1.")


def test_every_error_of_the_design_is_documented_with_its_google_status() -> None:
    post = SPEC["paths"]["/"]["post"]["responses"]
    documented = {int(code) for code in post if code.startswith(("4", "5"))} | {405}
    assert documented == DESIGN_ERRORS
    pairs = {}
    for response in SPEC["components"]["responses"].values():
        schema_name = response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        error = SPEC["components"]["schemas"][schema_name]["allOf"][1]["properties"]["error"]
        pairs[error["properties"]["code"]["const"]] = error["properties"]["status"]["const"]
    raised = {
        error.http_status: error.status
        for error in _subclasses(errors.TokenvendError)
        if error.http_status != 500 or error is errors.TokenvendError
    }
    assert pairs == raised


def _subclasses(cls: type[errors.TokenvendError]) -> Iterator[type[errors.TokenvendError]]:
    yield cls
    for subclass in cls.__subclasses__():
        yield from _subclasses(subclass)


@pytest.mark.parametrize("name", SCENARIOS)
def test_real_response_conforms_to_openapi_yaml(
    name: str,
    make_client: AppFactory,
    gemini: FakeGemini,
    tmp_path: Path,
    openapi: OpenAPI,
) -> None:
    scenario = SCENARIOS[name]
    environment = dict(scenario.environment)
    profile = "voice-assistant"
    if scenario.access:
        profile = write_policy(tmp_path, "scenario", scenario.access).stem
        environment["TOKENVEND_POLICY_DIR"] = str(tmp_path)
    client = make_client(profile, **environment)
    if scenario.buggy_caller_check:
        client = serve_endpoint(callers=BuggyCallerCheck(), gemini_url=gemini.url, api_key=API_KEY)
    if scenario.gemini:
        gemini.answer(scenario.gemini, scenario.gemini)  # the retry gets the same answer
    response = _send(scenario, client)
    assert response.status_code == scenario.status, response.get_data(as_text=True)
    # The request only locates the operation; its body was consumed by the function.
    request = MockRequest(BASE_URL, response.request.method, "/")
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))


def test_method_not_allowed_conforms_to_its_documented_response(make_client: AppFactory) -> None:
    response = make_client().get("/", base_url=BASE_URL, headers={"Origin": ALLOWED_ORIGIN})
    documented = SPEC["components"]["responses"]["MethodNotAllowed"]
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype in documented["content"]
    schema = {"$ref": "#/components/schemas/MethodNotAllowedError"}
    schema["components"] = SPEC["components"]
    Draft202012Validator(schema).validate(json.loads(response.get_data()))


# --- schemathesis against a real functions-framework process -------------------------

# Valid and invalid requests alike ("mode": "all"); every phase (examples, coverage,
# fuzzing) but the stateful one, which needs links between operations.
FUZZED = schemathesis.openapi.from_path(
    SPEC_PATH,
    config=schemathesis.Config.from_dict(
        {"generation": {"mode": "all", "deterministic": True, "database": "none"}}
    ),
)
FUZZ_CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.unsupported_method,
]


@pytest.fixture(scope="module")
def running_function(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # voice-assistant, with the spec's example origin allowed so that most generated
    # requests get past the origin check.
    policy = yaml.safe_load((ROOT / "policies" / "voice-assistant.yaml").read_text())
    policy["access"]["allowed_origins"].append(
        SPEC["components"]["parameters"]["Origin"]["example"]
    )
    policy_dir = tmp_path_factory.mktemp("policies")
    (policy_dir / "fuzzed.yaml").write_text(yaml.safe_dump(policy))
    with FakeGemini() as gemini:
        environment = {
            "TOKENVEND_PROFILE": "fuzzed",
            "TOKENVEND_POLICY_DIR": str(policy_dir),
            "TOKENVEND_GEMINI_ENDPOINT": gemini.url,
            "GEMINI_API_KEY": "AIzaSyFAKE-schemathesis-0123456789abcdefgh",
            "TOKENVEND_API_KEY_SECRET": "",
        }
        with FunctionProcess(environment, debug=False) as function:
            function.wait_until_listening()
            yield function.url


@pytest.mark.process
@FUZZED.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(
    case: schemathesis.Case[Any], running_function: str
) -> None:
    case.call_and_validate(base_url=running_function, checks=FUZZ_CHECKS, timeout=10)
