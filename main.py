"""tokenvend's entry points: ``mint_token`` (HTTP) for every profile, and ``budget_guard``.

``mint_token`` serves the profile ``TOKENVEND_PROFILE`` names; ``budget_guard`` (a
CloudEvent function) receives the billing budget's Pub/Sub notifications and pauses
every profile once the budget is spent. Whichever functions-framework serves is built
once, at import (cold start), and every request goes through it.
"""

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response

from tokenvend.app import instance_from_environment
from tokenvend.web.limits import guard_current_app

instance = instance_from_environment()
# Caps and times every request body, before functions-framework reads it in full.
guard_current_app()


@functions_framework.http
def mint_token(request: Request) -> Response:
    return instance.endpoint().handle(request)


@functions_framework.cloud_event
def budget_guard(event: CloudEvent) -> None:
    instance.guard().handle_event(event)
