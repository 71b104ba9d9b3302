"""The ``access`` section's caller kinds and App Check, as the policy loader reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.keys import write_policy
from tokenvend.errors import PolicyError
from tokenvend.policy.access import AppCheck, FirebaseCallers, GoogleCallers
from tokenvend.policy.loader import load_policy

FIREBASE = """\
  callers:
    firebase:
      project_id: my-project-1
      require_email_verified: true
      allowed_email_domains: [example.com]
      allowed_emails: [Ada@example.com]
  app_check:
    project_number: "123456789012"
    app_ids: ["1:123456789012:web:0a1b2c3d4e5f"]
"""
GOOGLE = """\
  callers:
    google:
      audiences: [1234-abc.apps.googleusercontent.com]
      allowed_domains: [example.com]
"""


def problems(tmp_path: Path, access: str) -> dict[str, str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(write_policy(tmp_path, "members", access))
    return dict(caught.value.problems)


def test_firebase_callers_and_app_check_become_dataclasses(tmp_path: Path) -> None:
    access = load_policy(write_policy(tmp_path, "members", FIREBASE)).access
    assert access.callers == FirebaseCallers(
        project_id="my-project-1",
        require_email_verified=True,
        allowed_email_domains=frozenset({"example.com"}),
        allowed_emails=frozenset({"ada@example.com"}),
    )
    assert access.app_check == AppCheck(
        "123456789012", frozenset({"1:123456789012:web:0a1b2c3d4e5f"})
    )


def test_google_callers_become_a_dataclass(tmp_path: Path) -> None:
    callers = load_policy(write_policy(tmp_path, "staff", GOOGLE)).access.callers
    assert callers == GoogleCallers(
        audiences=("1234-abc.apps.googleusercontent.com",),
        allowed_domains=frozenset({"example.com"}),
    )


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            ("project_id: my-project-1", "project_id: My_Project"),
            "access.callers.firebase.project_id",
        ),
        (("project_id: my-project-1", "projectId: my-project-1"), "access.callers.firebase"),
        (("[example.com]", "['@example.com']"), "access.callers.firebase.allowed_email_domains[0]"),
        (("[Ada@example.com]", "[ada]"), "access.callers.firebase.allowed_emails[0]"),
        (('"123456789012"', "123456789012"), "access.app_check.project_number"),
        (('["1:123456789012:web:0a1b2c3d4e5f"]', "[]"), "access.app_check.app_ids"),
        (
            ("require_email_verified: true", "require_email_verified: yes please"),
            "access.callers.firebase.require_email_verified",
        ),
    ],
)
def test_invalid_caller_settings_are_refused_at_their_path(
    tmp_path: Path, change: tuple[str, str], path: str
) -> None:
    assert path in problems(tmp_path, FIREBASE.replace(*change))


def test_app_id_of_another_project_is_refused(tmp_path: Path) -> None:
    text = FIREBASE.replace('["1:123456789012:web:0a1b2c3d4e5f"]', '["1:999:web:0a1b"]')
    problem = problems(tmp_path, text)["access.app_check.app_ids[0]"]
    assert "project number 999" in problem


def test_two_caller_kinds_at_once_are_refused(tmp_path: Path) -> None:
    text = GOOGLE + "    firebase: {project_id: my-project-1}\n"
    assert "access.callers" in str(problems(tmp_path, text))


def test_google_callers_need_an_audience(tmp_path: Path) -> None:
    text = GOOGLE.replace("[1234-abc.apps.googleusercontent.com]", "[]")
    assert "at least 1" in problems(tmp_path, text)["access.callers.google.audiences"]
