"""Dollar limits (``spend``) compiled into token limits, and what makes them impossible.

``spend.per_caller`` and ``spend.per_profile`` become token limits of
``floor(usd / worst case per token)`` for their window, beside (and, where ``quotas``
sets one for the same scope, the smaller of the two) the quota limits; the quota gate
enforces them like any other, with the same 429. A spend limit is refused, with the
numbers, when it is below what one token can cost, when nothing bounds what a token
costs (``uses: 0``, an unconstrained profile, a model without prices), and when the
browser could turn on something billed per use that no price covers: grounding tools
such as Google Search. Rules read the raw document, after the schema passed it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tokenvend.errors import PolicyError
from tokenvend.policy.cost import NoBound, WorstCase, usd, worst_case
from tokenvend.policy.model import Limit, Quotas, Spend, SpendLimit, session_models
from tokenvend.policy.prices import policy_prices
from tokenvend.policy.schema import Problem

# Tools Google bills per grounded prompt or query, on top of tokens (Gemini API
# pricing: Grounding with Google Search, Grounding with Google Maps).
BILLED_PER_USE_TOOLS = ("googleSearch", "googleSearchRetrieval", "googleMaps")
SCOPES = ("per_caller", "per_profile")
# The most a quota may count in one window (policy.schema.json, quotas' tokens).
MAX_TOKENS_PER_WINDOW = 1_000_000_000
# Floating point: $0.23 / $0.023 must give 10, not 9.999999.
_SLACK = 1e-9


def spend_problems(document: Mapping[str, Any]) -> list[Problem]:
    """What makes the ``spend`` section of a schema-valid document impossible to honour."""
    return _compile(document)[0]


def compile_spend(document: Mapping[str, Any], source: str) -> tuple[Spend | None, Quotas | None]:
    """The spend section of a valid document, and its quotas with the spend limits in.

    The rules have refused an impossible spend section already; should one get here, it
    is refused again rather than served without its limits.
    """
    problems, spend, quotas = _compile(document)
    if problems:
        raise PolicyError(source, problems)
    return spend, quotas


def _compile(document: Mapping[str, Any]) -> tuple[list[Problem], Spend | None, Quotas | None]:
    quotas = _quotas(document.get("quotas"))
    spend = document.get("spend")
    if spend is None:
        return [], None, quotas
    problems = _billed_per_use(document)
    token, live = document["token"], document["live"]
    prices = None if spend.get("prices") is None else policy_prices(spend["prices"])
    try:
        worst = worst_case(
            int(token["uses"]), int(token["expire_after_seconds"]), _models(document), prices
        )
    except NoBound as error:
        where = "token.uses" if int(token["uses"]) == 0 else "spend"
        if live == "unconstrained":
            where = "live"
        why = f"a spend limit needs a bound on what a token costs: {error}"
        return [*problems, (where, why)], None, None
    if worst.usd_per_token <= 0:
        why = (
            "prices of 0 bound nothing: give spend.prices above 0 (what Google charges "
            "per minute), or remove the spend limit"
        )
        return [*problems, ("spend.prices", why)], None, None
    limits: dict[str, SpendLimit] = {}
    for scope in SCOPES:
        rule = spend.get(scope)
        if rule is None:
            continue
        limit = SpendLimit(float(rule["usd"]), int(rule["per_seconds"]), 0)
        tokens = math.floor(limit.usd / worst.usd_per_token + _SLACK)
        if tokens < 1:
            problems.append((f"spend.{scope}.usd", _below_one_token(limit, worst)))
            continue
        if tokens > MAX_TOKENS_PER_WINDOW:
            problems.append((f"spend.{scope}.usd", _above_any_quota(limit, worst, tokens)))
            continue
        limits[scope] = SpendLimit(limit.usd, limit.per_seconds, tokens)
        quota = getattr(quotas, scope) if quotas else None
        if quota is not None and quota.per_seconds != limit.per_seconds:
            problems.append(
                (
                    f"spend.{scope}.per_seconds",
                    f"must be the window of quotas.{scope} ({quota.per_seconds}), got "
                    f"{limit.per_seconds}: one scope has one window, in which the smaller "
                    "of the two limits applies",
                )
            )
    if problems:
        return problems, None, None
    compiled = {
        scope: _smaller(getattr(quotas, scope) if quotas else None, limits.get(scope))
        for scope in SCOPES
    }
    return (
        [],
        Spend(limits.get("per_caller"), limits.get("per_profile"), prices, worst),
        Quotas(
            per_caller=compiled["per_caller"],
            per_profile=compiled["per_profile"],
            when_store_unavailable=quotas.when_store_unavailable if quotas else "refuse",
        ),
    )


def _quotas(quotas: Mapping[str, Any] | None) -> Quotas | None:
    if quotas is None:
        return None

    def limit(name: str) -> Limit | None:
        rule = quotas.get(name)
        return None if rule is None else Limit(int(rule["tokens"]), int(rule["per_seconds"]))

    return Quotas(
        per_caller=limit("per_caller"),
        per_profile=limit("per_profile"),
        when_store_unavailable=quotas.get("when_store_unavailable", "refuse"),
    )


def _smaller(quota: Limit | None, spend: SpendLimit | None) -> Limit | None:
    if spend is None:
        return quota
    if quota is None or spend.tokens < quota.tokens:
        return Limit(spend.tokens, spend.per_seconds)
    return quota


def _models(document: Mapping[str, Any]) -> list[str]:
    live = document["live"]
    if live == "unconstrained":
        return []
    options = (document.get("client_options") or {}).values()
    choices = (o.get("allowed", ()) for o in options if o.get("field") == "model")
    return session_models(live["model"], choices)


def _billed_per_use(document: Mapping[str, Any]) -> list[Problem]:
    """Grounding tools the token allows or the browser could add: no price bounds them."""
    live = document["live"]
    if live == "unconstrained":
        return []  # refused for having no bound at all
    problems: list[Problem] = []
    config = live.get("config") or {}
    for index, tool in enumerate(config.get("tools") or []):
        for name in BILLED_PER_USE_TOOLS:
            if isinstance(tool, Mapping) and name in tool:
                problems.append(
                    (
                        f"live.config.tools[{index}].{name}",
                        f"{name} is billed per grounded prompt on top of tokens, which no "
                        "price bounds; remove it, or remove the spend limit",
                    )
                )
    lock = live["lock"]
    extra = lock.get("configured_plus", []) if isinstance(lock, Mapping) else []
    if lock != "all" and "tools" not in config and "tools" not in extra:
        problems.append(
            (
                "live.lock",
                "leaves tools to the browser, which could add Google Search grounding "
                "(billed per grounded prompt, which no price bounds); lock tools "
                "(configured_plus: [tools], or lock: all) to set a spend limit",
            )
        )
    for name, option in (document.get("client_options") or {}).items():
        if str(option.get("field", "")).split(".")[0] == "tools":
            problems.append(
                (
                    f"client_options.{name}",
                    "lets the browser choose tools, Google Search grounding among them "
                    "(billed per grounded prompt); remove the option to set a spend limit",
                )
            )
    return problems


def _below_one_token(limit: SpendLimit, worst: WorstCase) -> str:
    return (
        f"{usd(limit.usd)} is less than one token can cost ({usd(worst.usd_per_token)}: "
        f"{worst.sessions} session(s) of {worst.session_seconds / 60:g} min at "
        f"{usd(worst.prices.usd_per_minute)}/min with {worst.model}); raise it to at least "
        f"{usd(worst.usd_per_token)}, or lower token.uses or token.expire_after_seconds"
    )


def _above_any_quota(limit: SpendLimit, worst: WorstCase, tokens: int) -> str:
    return (
        f"{usd(limit.usd)} at {usd(worst.usd_per_token)} a token is {tokens:,} tokens per "
        f"window, more than a quota counts ({MAX_TOKENS_PER_WINDOW:,}); lower the limit, "
        "or check spend.prices (a price this low bounds nothing)"
    )
