"""The stand-in applies, and a second plan against what it stored shows what a
real second plan would: nothing, except where standin/apimodel.py models the
real provider and API changing a value (a dashboard's zero positions, a
time_sleep whose triggers change). Each test applies a tiny configuration of its
own and plans it again with -detailed-exitcode (0: no changes, 2: changes)."""

from __future__ import annotations

import pathlib
import textwrap
from collections.abc import Callable

import pytest

from tests.terraform.workspace import PROVIDER_PYTHON, Result, Workspace

PROVIDERS = """\
terraform {
  required_providers {
    google = { source = "hashicorp/google" }
    time   = { source = "hashicorp/time" }
  }
}
"""


class Tiny:
    """A configuration of a few resources, applied into one state file."""

    def __init__(self, root: pathlib.Path, terraform_bin: str, text: str) -> None:
        source = root / "source"
        source.mkdir()
        (source / "main.tf").write_text(PROVIDERS + textwrap.dedent(text), encoding="utf-8")
        self.workspace = Workspace(root / "run", terraform_bin, source=source)
        (root / "run").mkdir()
        self.workspace.create()
        init = self.workspace.init()
        assert init.returncode == 0, init.stdout + init.stderr
        self.state = root / "tiny.tfstate"

    def rewrite(self, text: str) -> None:
        (self.workspace.module / "main.tf").write_text(
            PROVIDERS + textwrap.dedent(text), encoding="utf-8"
        )

    def apply(self) -> Result:
        result = self.workspace.run(
            "apply", "-auto-approve", "-input=false", "-no-color", f"-state={self.state}"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def plan(self) -> Result:
        return self.workspace.run(
            "plan", "-detailed-exitcode", "-input=false", "-no-color", f"-state={self.state}"
        )


Factory = Callable[[str], Tiny]


@pytest.fixture
def tiny(tmp_path: pathlib.Path, terraform_bin: str) -> Factory:
    if not PROVIDER_PYTHON.exists():
        pytest.skip("the stand-in provider's venv (.venv-tfprovider) is missing: run make tf-plan")

    def make(text: str) -> Tiny:
        return Tiny(tmp_path, terraform_bin, text)

    return make


def dashboard(tile: str) -> str:
    return f"""
    resource "google_monitoring_dashboard" "d" {{
      project = "p"
      dashboard_json = jsonencode({{
        displayName  = "d"
        mosaicLayout = {{ columns = 48, tiles = [{tile}] }}
      }})
    }}
    """


def test_a_dashboard_tile_written_at_position_zero_differs_on_every_plan(tiny: Factory) -> None:
    config = tiny(dashboard('{ xPos = 0, width = 24, height = 16, widget = { title = "t" } }'))
    config.apply()
    again = config.plan()
    assert again.returncode == 2, again.stdout + again.stderr
    assert "dashboard_json" in again.stdout


def test_a_dashboard_tile_without_zero_values_plans_empty_after_apply(tiny: Factory) -> None:
    config = tiny(dashboard('{ xPos = 24, width = 24, height = 16, widget = { title = "t" } }'))
    config.apply()
    again = config.plan()
    assert again.returncode == 0, again.stdout + again.stderr


def test_computed_values_are_known_after_apply_and_stay_put(tiny: Factory) -> None:
    config = tiny("""
    resource "google_service_account" "a" {
      project    = "p"
      account_id = "runner"
    }
    output "email" { value = google_service_account.a.email }
    """)
    applied = config.apply()
    assert 'email = "runner@p.iam.gserviceaccount.com"' in applied.stdout
    assert config.plan().returncode == 0


def test_a_time_sleep_is_replaced_when_its_triggers_change(tiny: Factory) -> None:
    wait = """
    resource "time_sleep" "w" {{
      create_duration = "0s"
      triggers        = {{ grants = "{grants}" }}
    }}
    """
    config = tiny(wait.format(grants="a"))
    config.apply()
    assert config.plan().returncode == 0
    config.rewrite(wait.format(grants="a,b"))
    changed = config.plan()
    assert changed.returncode == 2
    assert "must be replaced" in changed.stdout
