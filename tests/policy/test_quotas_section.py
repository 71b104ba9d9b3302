"""The ``quotas`` section of a policy, and App Check's ``consume``, as the loader reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.keys import PROJECT_NUMBER, write_policy
from tests.quotas.conftest import write_quota_policy
from tokenvend.errors import PolicyError
from tokenvend.policy.loader import load_policy
from tokenvend.policy.model import Limit, Quotas


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    return dict(refused.value.problems)


def test_quotas_become_a_frozen_dataclass_with_refuse_as_the_default(tmp_path: Path) -> None:
    quotas = (
        "  per_caller: {tokens: 10, per_seconds: 3600}\n"
        "  per_profile: {tokens: 5000, per_seconds: 86400}\n"
    )
    policy = load_policy(write_quota_policy(tmp_path, "kiosk", quotas))
    assert policy.quotas == Quotas(
        per_caller=Limit(10, 3600), per_profile=Limit(5000, 86400), when_store_unavailable="refuse"
    )


def test_either_limit_may_be_left_out(tmp_path: Path) -> None:
    quotas = "  per_profile: {tokens: 5, per_seconds: 60}\n  when_store_unavailable: allow\n"
    policy = load_policy(write_quota_policy(tmp_path, "kiosk", quotas))
    assert policy.quotas == Quotas(per_profile=Limit(5, 60), when_store_unavailable="allow")


def test_a_policy_without_quotas_has_none(tmp_path: Path) -> None:
    assert load_policy(write_policy(tmp_path, "kiosk", "  callers: anonymous\n")).quotas is None


@pytest.mark.parametrize(
    ("quotas", "path", "says"),
    [
        ("  when_store_unavailable: refuse\n", "quotas", "at least one limit"),
        ("  per_caller: {tokens: 0, per_seconds: 60}\n", "quotas.per_caller.tokens", "at least 1"),
        (
            "  per_caller: {tokens: 1, per_seconds: 0}\n",
            "quotas.per_caller.per_seconds",
            "at least",
        ),
        ("  per_caller: {tokens: 1}\n", "quotas.per_caller", "missing required key 'per_seconds'"),
        ("  per_caller: {tokens: 1.5, per_seconds: 60}\n", "quotas.per_caller.tokens", "integer"),
        ("  per_user: {tokens: 1, per_seconds: 60}\n", "quotas.per_user", "unknown key"),
        (
            "  per_profile: {tokens: 1, per_seconds: 60}\n  when_store_unavailable: ignore\n",
            "quotas.when_store_unavailable",
            "refuse, allow",
        ),
    ],
)
def test_invalid_quotas_are_refused_at_their_path(
    tmp_path: Path, quotas: str, path: str, says: str
) -> None:
    found = problems(write_quota_policy(tmp_path, "kiosk", quotas))
    assert says in found[path]


def test_empty_quotas_are_refused(tmp_path: Path) -> None:
    path = write_quota_policy(tmp_path, "kiosk", "  {}\n")
    path.write_text(path.read_text().replace("quotas:\n  {}\n", "quotas: {}\n"))
    assert "quotas" in problems(path)


def test_app_check_consume_is_read_and_off_by_default(tmp_path: Path) -> None:
    app_check = (
        f'  callers: anonymous\n  app_check:\n    project_number: "{PROJECT_NUMBER}"\n'
        f'    app_ids: ["1:{PROJECT_NUMBER}:web:0a1b2c3d4e5f"]\n'
    )
    plain = load_policy(write_policy(tmp_path, "plain", app_check)).access.app_check
    consuming = load_policy(
        write_policy(tmp_path, "consuming", app_check + "    consume: true\n")
    ).access.app_check
    assert plain is not None and plain.consume is False
    assert consuming is not None and consuming.consume is True
