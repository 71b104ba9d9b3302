"""``python -m tokenvend explain PROFILE``: what a policy really allows, in words.

Prints who may call and from where, the token's lifetime and session window, the
client options, the model's status in the model catalogue, the exact body the function
would send to Gemini now (the API key is never read), what the field mask leaves the
browser free to change, what the lock holds (who enforces it at setup, and what the
lock probes of ``make smoke`` found for messages sent later), and the warnings.
It is built from the same functions the endpoint uses, so it cannot drift from them.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tokenvend.cli.cost import worst_case_lines
from tokenvend.cli.lint import policy_warnings
from tokenvend.errors import PolicyError
from tokenvend.gemini.lock_probes import LOCK_PROBES_PATH, LockFacts, lock_facts
from tokenvend.gemini.request import auth_tokens_url as url_of_auth_tokens
from tokenvend.gemini.request import build_setup, build_token_request, field_mask, is_covered
from tokenvend.jsonvalues import printable, thaw
from tokenvend.policy.access import AnonymousCallers, FirebaseCallers
from tokenvend.policy.catalogue import describe_model, takes_field
from tokenvend.policy.fields import GENERATION_FIELDS, SETUP_FIELDS, mask_path
from tokenvend.policy.loader import load_policy, load_profile
from tokenvend.policy.model import LiveConstraints, Policy
from tokenvend.policy.options import apply_options, describe_allowed
from tokenvend.settings import Settings


def run_explain(profile: str, folder: Path, settings: Settings, now: datetime | None = None) -> int:
    """Prints the explanation of a profile in ``folder``, or of a policy file's path."""
    try:
        is_file = profile.endswith(".yaml")
        policy = load_policy(Path(profile)) if is_file else load_profile(folder, profile)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return 1
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    url = url_of_auth_tokens(settings.gemini_endpoint, settings.gemini_api_version)
    switch = None
    if policy.kill_switch:
        from tokenvend.cli.killswitch import EXPLAIN_DEADLINE_SECONDS, switch_state

        switch = switch_state(settings, policy.profile, deadline_seconds=EXPLAIN_DEADLINE_SECONDS)
    print(explain(policy, now, auth_tokens_url=url, switch=switch), end="")
    return 0


def explain(
    policy: Policy,
    now: datetime,
    *,
    auth_tokens_url: str = url_of_auth_tokens(
        Settings.gemini_endpoint, Settings.gemini_api_version
    ),
    switch: str | None = None,
    facts: LockFacts | None = None,
) -> str:
    """What ``policy`` allows, in words, with the body it would send at ``now``.

    ``switch`` is the kill switch's state as read from the store, for profiles that read it;
    ``facts`` what the lock probes found (default: ``lock_probes.json``).
    """
    lines = [f"profile {policy.profile} ({policy.source})", f"  {policy.description}", ""]
    lines += ["Who may call", *_who(policy), ""]
    token = policy.token
    uses = "any number of sessions" if token.uses == 0 else f"up to {token.uses} session(s)"
    lines += [
        "Token",
        f"  each token starts {uses}",
        f"  lifetime: {_duration(token.expire_after_seconds)} after minting",
        f"  session window: new sessions must start within "
        f"{_duration(token.new_session_expire_after_seconds)} of minting",
        "",
    ]
    lines += _quotas(policy, switch)
    lines += worst_case_lines(policy)
    if policy.client_options:
        lines.append('Client options (the browser sends {"options": {NAME: VALUE}})')
        for option in policy.client_options:
            default = "required" if option.default is None else f"default {_json(option.default)}"
            lines.append(
                f"  {option.name} -> {'.'.join(option.field)}: "
                f"{describe_allowed(option)}; {default}"
            )
            if option.description:
                lines.append(f"    {option.description}")
        lines.append("")
    live = _with_defaults(policy)
    if live is not None:
        models = policy.session_models()
        lines += [
            "Model" if len(models) == 1 else "Models",
            *(line for model in models for line in describe_model(model)),
            "",
        ]
    body = build_token_request(policy.token, live, now)
    lines += [
        "Gemini request (with the option defaults, as it would be sent now)",
        f"  POST {auth_tokens_url}",
        "  x-goog-api-key: <elided>",
        *("  " + line for line in json.dumps(body, indent=2).splitlines()),
        "",
        "What the browser may still change",
        *_freedom(live),
        "",
        *_lock_holds(live, facts or lock_facts()),
    ]
    warnings = policy_warnings(policy, facts)
    lines.append(f"Warnings ({len(warnings)})" if warnings else "Warnings: none")
    lines += [f"  {path}: {message}" for path, message in warnings]
    # Each entry is one line: whatever the policy holds (a description with a line break
    # or a terminal escape, a file name) is escaped, never printed raw.
    return "\n".join(map(printable, lines)) + "\n"


def _who(policy: Policy) -> list[str]:
    callers = policy.access.callers
    lines = [
        "  browser origins: " + ", ".join(sorted(policy.access.allowed_origins)),
        "    (pages on other origins get 403; scripts send no Origin and are not stopped by this)",
    ]
    if isinstance(callers, AnonymousCallers):
        lines.append("  callers: anonymous (no credential is checked)")
    elif isinstance(callers, FirebaseCallers):
        lines.append(
            f"  callers: Firebase Auth users of project {callers.project_id} "
            "(ID token in Authorization: Bearer)"
        )
        if callers.require_email_verified:
            lines.append("    email must be verified")
        if callers.allowed_emails or callers.allowed_email_domains:
            lines.append(
                "    verified email in: "
                + _any_of(
                    callers.allowed_emails,
                    {f"*@{domain}" for domain in callers.allowed_email_domains},
                )
            )
    else:
        lines.append(
            "  callers: Google accounts, ID token for "
            + ", ".join(callers.audiences)
            + " (Authorization: Bearer)"
        )
        if callers.allowed_emails or callers.allowed_domains:
            lines.append(
                "    verified email in: "
                + _any_of(
                    callers.allowed_emails,
                    {f"Workspace domain {d}" for d in callers.allowed_domains},
                )
            )
    app_check = policy.access.app_check
    if app_check is None:
        lines.append("  App Check: not required")
    else:
        apps = ", ".join(sorted(app_check.app_ids))
        lines.append(
            f"  App Check: required (X-Firebase-AppCheck), project "
            f"{app_check.project_number}, apps {apps}"
        )
        if app_check.consume:
            lines.append(
                "    replay protection: each App Check token is accepted once "
                "(clients send getLimitedUseToken() tokens)"
            )
    return lines


def _quotas(policy: Policy, switch: str | None) -> list[str]:
    quotas = policy.quotas
    if quotas is None:
        lines = ["Quotas: none (tokens are not counted; see docs/operations.md)"]
        if policy.kill_switch:
            lines.append(f"  kill switch: {switch or 'unknown'} (kill_switch: true)")
        return [*lines, ""]
    spent = " and spend limits" if policy.spend else ""
    lines = [f"Quotas{spent} (counted in Firestore across all instances)"]
    for scope, limit in (("each caller", quotas.per_caller), ("all callers", quotas.per_profile)):
        if limit is not None:
            lines.append(
                f"  {scope}: {limit.tokens} token(s) per {_duration(limit.per_seconds)}"
                " window (fixed, aligned to the epoch)"
            )
        if limit is not None and scope == "each caller":
            lines.append("    a caller is its verified subject, else its IP address (IPv6: /64)")
    unavailable = {
        "refuse": "refuse (503)",
        "allow": "allow (each instance counts each limit on its own, logs a warning)",
    }
    lines.append(f"  when Firestore is unavailable: {unavailable[quotas.when_store_unavailable]}")
    lines += [f"  kill switch: {switch or 'unknown'}", ""]
    return lines


def _with_defaults(policy: Policy) -> LiveConstraints | None:
    required = {o.name for o in policy.client_options if o.default is None}
    if required:
        return policy.live  # nothing sensible to fill in; shown without those fields
    return apply_options(policy.live, policy.client_options, {})


def _freedom(live: LiveConstraints | None) -> list[str]:
    if live is None:
        return [
            "  everything: no constraints are sent (live: unconstrained), so the browser",
            "  chooses the model and every LiveConnectConfig field",
        ]
    if live.lock.mode == "all":
        return [
            "  nothing: no fieldMask is sent, so Gemini locks every field of the session's setup",
            "  to the values above (fields not set there to Gemini's defaults); what later",
            "  messages can do is under What the lock holds",
        ]
    mask = field_mask(build_setup(live), live.lock.additional_fields)
    free, partly = [], []
    for name in (*GENERATION_FIELDS, *SETUP_FIELDS):
        path = mask_path(name)
        # Locked means what the field mask and the lint warnings mean by it: the field
        # itself, or one it belongs to, is in the mask. Its sub-fields alone are not.
        if is_covered(path, mask):
            continue
        inside = [
            locked.removeprefix(f"{path}.") for locked in mask if locked.startswith(f"{path}.")
        ]
        if inside:
            partly.append(f"{name} (all but {', '.join(inside)})")
        else:
            free.append(name)
    lines = ["  locked (fieldMask): " + ", ".join(mask)]
    lines.append("  free: " + (", ".join(free) if free else "none"))
    if partly:
        lines.append("  partly free: " + "; ".join(partly))
    return lines


def _lock_holds(live: LiveConstraints | None, facts: LockFacts) -> list[str]:
    """Who enforces the lock, and what the lock probes found for this model."""
    if live is None:
        return []
    setup = facts.setup_route
    model = live.model.removeprefix("models/")
    probe = facts.probe_of(model)
    tried = f"last probe of {model}: {probe.date}" if probe else f"{model} never probed"
    lines = [
        f"What the lock holds ({tried}; verdicts from {LOCK_PROBES_PATH.name})",
        f"  at setup: enforced by {facts.setup_enforced_by}",
        f"    (documented in {facts.setup_documented_in})",
        f"    {setup.message}: {facts.status(model, setup.name)}",
        "  after the setup, messages on the open WebSocket (not documented; make smoke probes):",
        *(
            f"    {route.message}: {facts.status(model, route.name)}"
            for route in facts.mid_session_routes
        ),
    ]
    if probe is None and takes_field(model, "systemInstruction"):
        lines.append(f"  to know, run make smoke MODEL={model} with a key of your own")
    elif probe is None:
        lines.append(f"  make smoke cannot probe {model}: its probes need a system instruction")
    lines.append("")
    return lines


def _json(value: Any) -> str:
    return json.dumps(thaw(value))


def _any_of(emails: frozenset[str], others: set[str]) -> str:
    return ", ".join([*sorted(emails), *sorted(others)]) + " (any one matches)"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds} s ({seconds / 60:g} min)"
    return f"{seconds} s ({seconds / 3600:g} h)"
