"""tokenvend's entry point: one HTTP function, ``mint_token``, for every profile.

The profile comes from ``TOKENVEND_PROFILE``; the instance is built once, at import
(cold start), and every request goes through it.
"""

import functions_framework
from flask import Request, Response

from tokenvend.app import endpoint_from_environment
from tokenvend.web.limits import guard_current_app

endpoint = endpoint_from_environment()
# Caps and times every request body, before functions-framework reads it in full.
guard_current_app()


@functions_framework.http
def mint_token(request: Request) -> Response:
    return endpoint.handle(request)
