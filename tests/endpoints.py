"""An Endpoint assembled from parts, for the paths no real dependency can reach.

functions-framework's app serves ``main.py``'s endpoint; a test that needs one part
replaced by a typed fake (a caller check that fails with a bug, say) builds the endpoint
here and serves it from a plain Flask app, through the same ``Endpoint.handle``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from tokenvend.callers.caller import Caller, CallerCheck
from tokenvend.clock import SystemClock
from tokenvend.gemini.api_key import StaticApiKey
from tokenvend.gemini.minter import GeminiTokenMinter, websocket_url
from tokenvend.logs import StructuredLog
from tokenvend.policy.loader import load_profile
from tokenvend.vendor import TokenVendor
from tokenvend.web.cors import Cors
from tokenvend.web.endpoint import Endpoint

POLICIES = Path(__file__).resolve().parent.parent / "policies"
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class BuggyCallerCheck:
    """A caller check with a bug: the failure nobody planned for."""

    def identify(self, headers: Headers) -> Caller:
        raise RuntimeError("a bug in a caller check")


def serve_endpoint(
    *, callers: CallerCheck, gemini_url: str, api_key: str, profile: str = "voice-assistant"
) -> FlaskClient:
    policy = load_profile(POLICIES, profile)
    log = StructuredLog()
    vendor = TokenVendor(
        policy,
        api_keys=StaticApiKey(api_key),
        minter=GeminiTokenMinter(gemini_url, api_version="v1alpha", log=log, deadline_seconds=8.0),
        clock=SystemClock(),
        api_version="v1alpha",
        websocket_url=websocket_url(gemini_url, "v1alpha"),
    )
    endpoint = Endpoint(
        vendor=vendor, cors=Cors(policy.access.allowed_origins), callers=callers, log=log
    )
    app = Flask("tokenvend-test")

    def view() -> Response:
        return endpoint.handle(request)

    app.add_url_rule("/", "mint_token", view, methods=EVERY_METHOD)
    return app.test_client()
