"""The dollar part of ``explain``: what a token, a caller and the profile can cost at most.

Per token, from ``tokenvend.policy.cost``; per caller and per profile, that times the
token limits the gate enforces (``quotas``, with ``spend`` compiled in), for each
window. Where nothing limits a scope it says so: the figure is then unbounded, and the
kill switch and the billing budget are what stop it.
"""

from __future__ import annotations

from tokenvend.policy.cost import NoBound, WorstCase, usd, worst_case
from tokenvend.policy.model import Limit, Policy, SpendLimit


def policy_worst_case(policy: Policy) -> WorstCase:
    """The worst case of a token of ``policy``; NoBound says why there is none."""
    if policy.spend is not None:
        return policy.spend.worst
    token = policy.token
    return worst_case(token.uses, token.expire_after_seconds, policy.session_models(), None)


def worst_case_lines(policy: Policy) -> list[str]:
    """Lines for ``explain``: the worst case per token, per caller, per profile, and why."""
    lines = ["Worst-case Gemini cost (US dollars)"]
    try:
        worst = policy_worst_case(policy)
    except NoBound as error:
        return [*lines, f"  per token: no bound: {error}", ""]
    lines.append(
        f"  per token: {usd(worst.usd_per_token)} ({worst.sessions} session(s) x "
        f"{worst.session_seconds / 60:g} min x {usd(worst.prices.usd_per_minute)}/min, "
        f"{worst.model})"
    )
    quotas, spend = policy.quotas, policy.spend
    for scope, who in (("per_caller", "per caller"), ("per_profile", "per profile")):
        limit: Limit | None = getattr(quotas, scope) if quotas else None
        dollars: SpendLimit | None = getattr(spend, scope) if spend else None
        lines.append(f"  {who}: {_scope(limit, dollars, worst)}")
    lines.append("  assuming:")
    lines += [f"    - {text}" for text in worst.assumptions]
    return [*lines, ""]


def _scope(limit: Limit | None, dollars: SpendLimit | None, worst: WorstCase) -> str:
    if limit is None:
        return "no limit: as many tokens as are asked for, each at the cost above"
    window = _window(limit.per_seconds)
    text = f"{usd(limit.tokens * worst.usd_per_token)} per {window} ({limit.tokens} token(s))"
    if dollars is not None:
        source = "spend" if dollars.tokens == limit.tokens else "quotas, below spend"
        text += f"; spend limit {usd(dollars.usd)}, so {dollars.tokens} token(s) ({source} wins)"
    return text


def _window(seconds: int) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" if unit != "day" else f"{count} day(s)"
    return f"{seconds} s"
