"""Spend limits through the function as functions-framework serves it, on both Firestores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ALLOWED_ORIGIN, AppFactory, log_lines
from tests.fakes.gemini import FakeGemini
from tests.quotas.conftest import Backend

# A token of this policy costs at most $0.23: one session of 10 minutes at the
# catalogue's $0.023 a minute for gemini-3.8-live. $0.50 a day is 2 tokens.
SPEND_POLICY = """\
description: Public demo limited in dollars.
token: {uses: 1, expire_after_seconds: 600, new_session_expire_after_seconds: 60}
live:
  model: gemini-3.8-live
  config: {responseModalities: [AUDIO]}
  lock: all
access:
  allowed_origins: [http://localhost:5173]
  callers: anonymous
spend:
  per_caller: {usd: 0.50, per_seconds: 86400}
deploy: {public: true}
"""


def test_caller_over_its_spend_limit_gets_429_once_the_compiled_token_limit_is_reached(
    make_client: AppFactory,
    tmp_path: Path,
    backend: Backend,
    gemini: FakeGemini,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "demo.yaml").write_text(SPEND_POLICY, encoding="utf-8")
    client = make_client("demo", TOKENVEND_POLICY_DIR=str(tmp_path), **backend.environment())

    def post(address: str) -> int:
        headers = {"Origin": ALLOWED_ORIGIN, "X-Forwarded-For": address}
        answer = client.post("/", headers=headers)
        if answer.status_code == 429:
            assert answer.get_json()["error"]["status"] == "RESOURCE_EXHAUSTED"
            assert 1 <= int(answer.headers["Retry-After"]) <= 86400
        return answer.status_code

    assert [post("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert gemini.request_count == 2
    assert post("198.51.100.1") == 200  # another caller has a budget of its own
    assert log_lines(capsys.readouterr().out)[-2]["reason"] == "quota_exhausted_caller"
