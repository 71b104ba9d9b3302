"""Fixtures of the quota tests: the real Firestore emulator (one per session), the
loopback fake, and ``backend``, which runs a test once against each.

Every test gets a project id of its own, so tests share the emulator without sharing
counters. Where the emulator is missing, its half of each test skips with a reason
naming the package; the fake's half still runs.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient

from tests.conftest import FakeClock, LogCapture
from tests.quotas.emulator import FirestoreEmulator, missing_reason
from tests.quotas.fake_firestore import FakeFirestore
from tokenvend.app import build_endpoint
from tokenvend.quotas.firestore import FirestoreStore, firestore_store
from tokenvend.settings import Settings

# CI sets this, so that a missing emulator fails the run instead of skipping quietly.
REQUIRE = "REQUIRE_FIRESTORE_EMULATOR"


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[FirestoreEmulator]:
    reason = missing_reason()
    if reason and os.environ.get(REQUIRE):
        pytest.fail(f"{reason}, and {REQUIRE} is set")
    if reason:
        pytest.skip(reason)
    emulator = FirestoreEmulator()
    try:
        emulator.wait_until_ready()
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def fake_firestore() -> Iterator[FakeFirestore]:
    with FakeFirestore() as server:
        yield server


GENEROUS_DEADLINE_SECONDS = 15.0


@dataclass(frozen=True)
class Backend:
    """A Firestore to test against: where it is, and a project no other test uses."""

    kind: str
    host: str
    project: str

    def settings(self, **values: Any) -> Settings:
        # A generous deadline: two shared cores run the emulator, the tests and up to
        # two functions at once. The deadline itself is tested with a hanging fake.
        values = {"firestore_timeout_seconds": GENEROUS_DEADLINE_SECONDS, **values}
        return Settings(
            firestore_emulator_host=self.host, google_cloud_project=self.project, **values
        )

    def environment(self) -> dict[str, str]:
        return {
            "FIRESTORE_EMULATOR_HOST": self.host,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "TOKENVEND_FIRESTORE_TIMEOUT_SECONDS": str(GENEROUS_DEADLINE_SECONDS),
        }

    def store(self, **values: Any) -> FirestoreStore:
        return firestore_store(self.settings(**values))

    def document(self, collection: str, name: str) -> dict[str, Any] | None:
        """A document as the REST API returns it, read without tokenvend's code."""
        url = (
            f"http://{self.host}/v1/projects/{self.project}/databases/(default)/documents/"
            f"{collection}/{name}"
        )
        request = urllib.request.Request(url, headers={"Authorization": "Bearer owner"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                document: dict[str, Any] = json.load(answer)
                return document
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


@pytest.fixture(params=["fake", "emulator"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test that takes this runs against the fake and against the real emulator."""
    project = f"test-{uuid.uuid4().hex[:12]}"
    if request.param == "emulator":
        emulator: FirestoreEmulator = request.getfixturevalue("firestore_emulator")
        return Backend("emulator", emulator.host, project)
    fake: FakeFirestore = request.getfixturevalue("fake_firestore")
    return Backend("fake", fake.host, project)


@pytest.fixture
def emulator_backend(firestore_emulator: FirestoreEmulator) -> Backend:
    return Backend("emulator", firestore_emulator.host, f"test-{uuid.uuid4().hex[:12]}")


QUOTA_POLICY = """\
# yaml-language-server: $schema=../tokenvend/policy/policy.schema.json
description: Test profile with quotas.
token: {{uses: 1, expire_after_seconds: 600, new_session_expire_after_seconds: 60}}
live:
  model: gemini-3.8-live
  config: {{responseModalities: [AUDIO]}}
  lock: all
access:
  allowed_origins: [http://localhost:5173]
{access}quotas:
{quotas}deploy: {{public: true}}
"""


def write_quota_policy(
    folder: Path,
    name: str,
    quotas: str,
    *,
    access: str = "  callers: anonymous\n",
) -> Path:
    """A policy file with ``quotas`` (YAML lines indented two spaces)."""
    path = folder / f"{name}.yaml"
    path.write_text(QUOTA_POLICY.format(access=access, quotas=quotas), encoding="utf-8")
    return path


def serve(settings: Settings, clock: FakeClock) -> FlaskClient:
    """The endpoint of ``settings`` on a clock the test moves, behind a plain Flask app."""
    endpoint = build_endpoint(settings, clock, log=LogCapture().log)
    app = Flask("tokenvend-quota-test")

    def view() -> Response:
        return endpoint.handle(request)

    app.add_url_rule("/", "mint_token", view, methods=["POST", "OPTIONS"])
    return app.test_client()
