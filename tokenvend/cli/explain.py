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
from tokenvend.cli.lock_view import freedom, lock_holds, with_defaults
from tokenvend.errors import PolicyError
from tokenvend.gemini.lock_probes import LockFacts, lock_facts
from tokenvend.gemini.request import auth_tokens_url as url_of_auth_tokens
from tokenvend.gemini.request import build_token_request
from tokenvend.jsonvalues import printable, thaw
from tokenvend.policy.access import AnonymousCallers, FirebaseCallers
from tokenvend.policy.catalogue import describe_model
from tokenvend.policy.loader import load_policy, load_profile
from tokenvend.policy.model import Policy
from tokenvend.policy.options import describe_allowed
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
    live = with_defaults(policy)
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
        *freedom(live),
        "",
        *lock_holds(live, facts or lock_facts()),
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
