"""The HTTP edge: one request in, one response and one log line out.

Checks run in the order that tells strangers least and costs least: method, origin,
caller, and only then the body (size, media type, JSON shape), so an unauthenticated
request is refused without its body being read. A policy with quotas adds one more
check after the options, just before minting (the ``QuotaCheck``), and gives back
what it counted when minting fails. This is the one place where errors become
responses: Google's API error shape, a public message only, and the headers the error
declares.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Iterable
from typing import Any, Protocol

from flask import Request, Response

from tokenvend import reasons
from tokenvend.callers.caller import Caller, CallerCheck
from tokenvend.errors import MethodNotAllowed, TokenvendError
from tokenvend.logs import REQUEST_EVENT, StructuredLog, clipped
from tokenvend.vendor import TokenVendor
from tokenvend.web.body import read_options
from tokenvend.web.cors import ALLOWED_METHODS, Cors
from tokenvend.web.limits import close_body

# Google's error model: the reason goes in an ErrorInfo detail (google.rpc.ErrorInfo),
# upper snake case, in the domain of the service that defines it.
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
ERROR_DOMAIN = "tokenvend"


class Admitted(Protocol):
    """What a quota check counted for one request, to give back if nothing is minted."""

    def give_back(self) -> None: ...


class QuotaCheck(Protocol):
    """Counts a request that would be minted (``tokenvend.quotas``); raises to refuse."""

    def admit(
        self, caller: Caller, forwarded_for: Iterable[str], remote_addr: str | None
    ) -> Admitted: ...


class Endpoint:
    """One profile's HTTP function: ``handle`` answers every request and writes its one log line."""

    def __init__(
        self,
        *,
        vendor: TokenVendor,
        cors: Cors,
        callers: CallerCheck,
        log: StructuredLog,
        quotas: QuotaCheck | None = None,
    ) -> None:
        self.vendor = vendor
        self._cors = cors
        self._callers = callers
        self._quotas = quotas
        self._log = log
        self._profile = vendor.policy.profile

    def handle(self, request: Request) -> Response:
        started = time.monotonic()
        origin = request.headers.get("Origin")
        fields: dict[str, Any] = {}
        try:
            response = self._serve(request, origin, fields)
            reason = reasons.PREFLIGHT if request.method == "OPTIONS" else reasons.MINTED
        except TokenvendError as error:
            response = self._error_response(error, origin)
            reason = error.reason
            fields["detail"] = error.detail  # for the operator; the response never has it
        except Exception as error:  # noqa: BLE001 - the one place that catches everything
            fields["stack_trace"] = traceback.format_exc()
            fields["error"] = type(error).__name__
            response = self._error_response(TokenvendError(), origin)
            reason = reasons.INTERNAL
        # Answered: whatever of the body is still unread stays so (see web/limits.py).
        close_body(request.environ)
        self._log_request(request, response, reason, started, origin, fields)
        return response

    def _serve(self, request: Request, origin: str | None, fields: dict[str, Any]) -> Response:
        if request.method not in ALLOWED_METHODS:
            raise MethodNotAllowed(ALLOWED_METHODS)
        self._cors.check(origin)
        if request.method == "OPTIONS":
            headers = self._cors.preflight_headers(origin)
            headers["Allow"] = ", ".join(ALLOWED_METHODS)
            return Response(status=204, headers=headers)
        # Set before the check, so a refusal's log line says which kind was expected.
        fields["caller_kind"] = self.vendor.policy.access.callers.kind
        caller = self._callers.identify(request.headers)
        fields.update(caller=caller.subject_hash, app_id=caller.app_id)
        order = self.vendor.order(read_options(request))
        admitted = None
        if self._quotas is not None:
            admitted = self._quotas.admit(
                caller, request.headers.getlist("X-Forwarded-For"), request.remote_addr
            )
        calling = time.monotonic()
        try:
            grant = self.vendor.mint(order)
        except BaseException as error:
            # Gemini failed (or the key could not be read): nothing was minted, so
            # nothing may stay counted.
            if admitted is not None:
                admitted.give_back()
            # Gemini's latency counts its failures too (timeouts above all); measured here,
            # it also holds the key read when this instance had no key cached.
            if isinstance(error, TokenvendError) and error.reason.startswith(
                reasons.UPSTREAM_PREFIX
            ):
                fields["upstream_ms"] = round((time.monotonic() - calling) * 1000, 1)
            raise
        fields["upstream_ms"] = round(grant.upstream_ms, 1)
        headers = {"Cache-Control": "no-store", **self._cors.response_headers(origin)}
        return Response(
            json.dumps(grant.to_json()), status=200, headers=headers, mimetype="application/json"
        )

    def _error_response(self, error: TokenvendError, origin: str | None) -> Response:
        body = {
            "error": {
                "code": error.http_status,
                "status": error.status,
                "message": error.public_message,
                "details": [
                    {
                        "@type": ERROR_INFO_TYPE,
                        "reason": error.public_reason.upper(),
                        "domain": ERROR_DOMAIN,
                    }
                ],
            }
        }
        headers = {"Cache-Control": "no-store", **error.response_headers()}
        if error.readable_cross_origin:
            headers.update(self._cors.response_headers(origin))
        else:
            headers["Vary"] = "Origin"
        return Response(
            json.dumps(body),
            status=error.http_status,
            headers=headers,
            mimetype="application/json",
        )

    def _log_request(
        self,
        request: Request,
        response: Response,
        reason: str,
        started: float,
        origin: str | None,
        fields: dict[str, Any],
    ) -> None:
        status = response.status_code
        severity = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
        self._log.emit(
            severity,
            f"{clipped(request.method, 20)} {status} {reason}",
            event=REQUEST_EVENT,
            profile=self._profile,
            status=status,
            reason=reason,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            origin=clipped(origin),
            **fields,
            **self._log.trace_fields(request.headers.get("X-Cloud-Trace-Context")),
        )
