"""The ``spend`` section: dollar limits compiled into token limits, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fakes.keys import write_policy
from tokenvend.cli.explain import explain
from tokenvend.errors import PolicyError
from tokenvend.policy.catalogue import CATALOGUE_PATH
from tokenvend.policy.loader import load_policy, policy_files
from tokenvend.policy.model import Limit
from tokenvend.policy.prices import price_list
from tokenvend.policy.schema import policy_schema

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
ANONYMOUS = "  callers: anonymous\n"
# One session of 10 min at $0.023/min (gemini-3.8-live in the catalogue): $0.23 a token.
PER_TOKEN_USD = 0.23


def spend_policy(tmp_path: Path, spend: str, *, extra: str = "", live: str | None = None) -> Path:
    return write_policy(tmp_path, "demo", ANONYMOUS, extra=f"{extra}spend:\n{spend}", live=live)


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    return dict(refused.value.problems)


def test_dollar_limits_become_floor_usd_over_the_worst_case_tokens(tmp_path: Path) -> None:
    policy = load_policy(
        spend_policy(
            tmp_path,
            "  per_caller: {usd: 1.00, per_seconds: 86400}\n"
            "  per_profile: {usd: 250, per_seconds: 86400}\n",
        )
    )
    assert policy.spend is not None and policy.quotas is not None
    assert policy.spend.worst.usd_per_token == pytest.approx(PER_TOKEN_USD)
    assert policy.quotas.per_caller == Limit(4, 86400)  # 1.00 / 0.23 = 4.3
    assert policy.quotas.per_profile == Limit(1086, 86400)  # 250 / 0.23 = 1086.9
    assert policy.quotas.when_store_unavailable == "refuse"
    assert policy.kill_switch


def test_an_exact_multiple_of_the_worst_case_is_not_lost_to_rounding(tmp_path: Path) -> None:
    policy = load_policy(spend_policy(tmp_path, "  per_caller: {usd: 2.3, per_seconds: 60}\n"))
    assert policy.quotas is not None and policy.quotas.per_caller == Limit(10, 60)


@pytest.mark.parametrize(("tokens", "expected"), [(2, 2), (10, 4)])
def test_where_quotas_set_the_same_scope_the_smaller_limit_wins(
    tmp_path: Path, tokens: int, expected: int
) -> None:
    quotas = f"quotas:\n  per_caller: {{tokens: {tokens}, per_seconds: 86400}}\n"
    quotas += "  when_store_unavailable: allow\n"
    path = spend_policy(tmp_path, "  per_caller: {usd: 1.00, per_seconds: 86400}\n", extra=quotas)
    policy = load_policy(path)
    assert policy.quotas is not None
    assert policy.quotas.per_caller == Limit(expected, 86400)
    assert policy.quotas.when_store_unavailable == "allow"


def test_a_limit_below_one_token_is_refused_with_the_numbers(tmp_path: Path) -> None:
    found = problems(spend_policy(tmp_path, "  per_caller: {usd: 0.10, per_seconds: 86400}\n"))
    message = found["spend.per_caller.usd"]
    assert "$0.1000 is less than one token can cost ($0.2300" in message
    assert "1 session(s) of 10 min" in message and "gemini-3.8-live" in message


def test_unlimited_uses_with_a_spend_limit_is_refused_saying_why(tmp_path: Path) -> None:
    path = spend_policy(tmp_path, "  per_caller: {usd: 1, per_seconds: 86400}\n")
    path.write_text(path.read_text().replace("uses: 1", "uses: 0"))
    message = problems(path)["token.uses"]
    assert "token.uses: 0 lets a token start any number of sessions" in message
    assert "nothing bounds what it costs" in message


def test_an_unconstrained_profile_may_not_have_a_spend_limit(tmp_path: Path) -> None:
    path = spend_policy(
        tmp_path, "  per_caller: {usd: 1, per_seconds: 86400}\n", live="live: unconstrained\n"
    )
    assert "choose any model" in problems(path)["live"]


def test_a_model_without_prices_needs_the_policys_own(tmp_path: Path) -> None:
    live = (
        "live:\n  model: gemini-3.5-live-translate-preview\n"
        "  config: {translationConfig: {targetLanguageCode: de}}\n  lock: all\n"
    )
    limit = "  per_caller: {usd: 1, per_seconds: 86400}\n"
    message = problems(spend_policy(tmp_path, limit, live=live))["spend"]
    assert "No price for this model was found" in message and "spend.prices" in message
    prices = "  prices: {input_usd_per_minute: 0.01, output_usd_per_minute: 0.04}\n"
    policy = load_policy(spend_policy(tmp_path, limit + prices, live=live))
    assert policy.spend is not None
    assert policy.spend.worst.usd_per_token == pytest.approx(0.5)  # 10 min x $0.05
    assert policy.quotas is not None and policy.quotas.per_caller == Limit(2, 86400)


def test_prices_of_zero_are_refused_as_bounding_nothing(tmp_path: Path) -> None:
    prices = "  prices: {input_usd_per_minute: 0, output_usd_per_minute: 0}\n"
    limit = "  per_caller: {usd: 1, per_seconds: 86400}\n"
    message = problems(spend_policy(tmp_path, limit + prices))["spend.prices"]
    assert "prices of 0 bound nothing" in message


def test_a_limit_worth_more_tokens_than_a_quota_counts_is_refused_with_the_numbers(
    tmp_path: Path,
) -> None:
    prices = "  prices: {input_usd_per_minute: 0.000000001, output_usd_per_minute: 0}\n"
    limit = "  per_profile: {usd: 1000, per_seconds: 86400}\n"
    message = problems(spend_policy(tmp_path, limit + prices))["spend.per_profile.usd"]
    assert "more than a quota counts (1,000,000,000)" in message


def test_a_video_price_enters_the_worst_case(tmp_path: Path) -> None:
    prices = "  prices: {input_usd_per_minute: 0.01, output_usd_per_minute: 0.02,"
    prices += " video_input_usd_per_minute: 0.02}\n"
    policy = load_policy(
        spend_policy(tmp_path, "  per_profile: {usd: 10, per_seconds: 3600}\n" + prices)
    )
    assert policy.spend is not None
    assert policy.spend.worst.usd_per_token == pytest.approx(0.5)
    assert not [a for a in policy.spend.worst.assumptions if "video frames are not priced" in a]


def test_a_different_window_from_the_quota_of_the_same_scope_is_refused(tmp_path: Path) -> None:
    quotas = "quotas:\n  per_caller: {tokens: 2, per_seconds: 3600}\n"
    found = problems(
        spend_policy(tmp_path, "  per_caller: {usd: 1, per_seconds: 86400}\n", extra=quotas)
    )
    assert "must be the window of quotas.per_caller (3600)" in found["spend.per_caller.per_seconds"]


def test_google_search_grounding_is_refused_with_a_spend_limit(tmp_path: Path) -> None:
    live = (
        "live:\n  model: gemini-3.8-live\n"
        "  config: {responseModalities: [AUDIO], tools: [{googleSearch: {}}]}\n  lock: all\n"
    )
    found = problems(spend_policy(tmp_path, "  per_caller: {usd: 1, per_seconds: 60}\n", live=live))
    assert "billed per grounded prompt" in found["live.config.tools[0].googleSearch"]


def test_tools_left_to_the_browser_are_refused_and_locking_them_is_enough(
    tmp_path: Path,
) -> None:
    limit = "  per_caller: {usd: 1, per_seconds: 60}\n"
    config = "  config: {responseModalities: [AUDIO]}\n"
    free = f"live:\n  model: gemini-3.8-live\n{config}  lock: configured\n"
    assert "lock tools" in problems(spend_policy(tmp_path, limit, live=free))["live.lock"]
    locked = f"live:\n  model: gemini-3.8-live\n{config}  lock: {{configured_plus: [tools]}}\n"
    assert load_policy(spend_policy(tmp_path, limit, live=locked)).spend is not None


def test_kill_switch_false_beside_quotas_or_spend_is_refused(tmp_path: Path) -> None:
    path = spend_policy(
        tmp_path, "  per_caller: {usd: 1, per_seconds: 60}\n", extra="kill_switch: false\n"
    )
    assert "always reads the kill switch" in problems(path)["kill_switch"]


def test_every_current_model_has_dated_sourced_prices_or_says_it_has_none() -> None:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    for name, entry in data["models"].items():
        if entry["status"] == "retired":
            continue
        if "prices" not in entry:
            assert entry["prices_unknown"], name
            continue
        for side in ("input_usd_per_minute", "output_usd_per_minute"):
            price = entry["prices"][side]
            assert price["usd"] > 0 and price["source"] and price["checked_on"], (name, side)
            assert isinstance(price["confirmed"], bool)
    assert price_list().audio_tokens_per_second == 32


@pytest.mark.parametrize("path", policy_files(ROOT / "policies"), ids=lambda p: p.stem)
def test_explain_prints_a_dollar_worst_case_for_every_shipped_profile(path: Path) -> None:
    text = explain(load_policy(path), NOW)
    block = text.split("Worst-case Gemini cost (US dollars)\n", 1)[1].split("\n\n", 1)[0]
    assert block.startswith("  per token: $")
    assert "  per caller: " in block and "  per profile: " in block
    assert "Gemini enforces uses and expireTime" in block


def test_explain_prints_the_cost_per_caller_and_per_profile_per_window(tmp_path: Path) -> None:
    path = spend_policy(
        tmp_path,
        "  per_caller: {usd: 1.00, per_seconds: 86400}\n"
        "  per_profile: {usd: 50, per_seconds: 3600}\n",
    )
    text = explain(load_policy(path), NOW)
    assert "  per token: $0.2300 (1 session(s) x 10 min x $0.0230/min, gemini-3.8-live)" in text
    assert "  per caller: $0.9200 per 1 day(s) (4 token(s)); spend limit $1.00" in text
    assert "  per profile: $49.91 per 1 h (217 token(s)); spend limit $50.00" in text


def test_explain_says_why_an_unlimited_token_has_no_bound() -> None:
    text = explain(load_policy(ROOT / "examples" / "policies" / "case-1-unconstrained.yaml"), NOW)
    assert "  per token: no bound: live: unconstrained" in text


def test_the_schema_describes_spend_and_the_kill_switch() -> None:
    properties = policy_schema()["properties"]
    assert "spend" in properties and properties["kill_switch"]["type"] == "boolean"
