"""What the stand-in answers for an apply, and what the real API and provider
would make of the stored value on the next plan.

Apply fills every value the plan left unknown with a known one of the right
type (a few computed attributes get the shape the real API gives them, so that
names built from them read as they would). Two behaviours of the real google
provider are modelled because they decide whether a second plan is empty:

- the Monitoring API drops proto3 default values (0, "", false, empty lists and
  objects) from a dashboard's JSON, and the provider's diff suppression for
  ``dashboard_json`` only ignores keys the configuration does not set: a tile
  written with ``xPos = 0`` differs forever (terraform-provider-google#16173,
  the provider's ``monitoringDashboardDiffSuppress``);
- time_sleep replaces itself, and waits again, when its triggers change.

Anything else a real API normalises is not known here: see terraform/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.terraform.standin.planning import known_placeholder
from tests.terraform.standin.schemas import JsonBlock
from tests.terraform.standin.values import UNKNOWN, Unknown

State = dict[str, Any]


def _fill(type_json: Any, name: str, value: Any) -> Any:
    """``value`` with every unknown inside it made known."""
    if isinstance(value, Unknown):
        return known_placeholder(type_json, name)
    if isinstance(type_json, list) and type_json[0] in ("list", "set") and isinstance(value, list):
        return [_fill(type_json[1], name, item) for item in value]
    if isinstance(type_json, list) and type_json[0] == "map" and isinstance(value, dict):
        return {key: _fill(type_json[1], key, item) for key, item in value.items()}
    if isinstance(type_json, list) and type_json[0] == "object" and isinstance(value, dict):
        return {key: _fill(type_json[1][key], key, item) for key, item in value.items()}
    return value


def fill_unknowns(block: JsonBlock, value: Any) -> Any:
    """An object value of this block with no unknown left, in nested blocks too."""
    if not isinstance(value, dict):
        return value
    result = dict(value)
    for name, attr in block.get("attributes", {}).items():
        result[name] = _fill(attr["type"], name, result.get(name))
    for name, nested in block.get("block_types", {}).items():
        inner = nested["block"]
        current = result.get(name)
        if isinstance(current, Unknown):
            current = None
        if current is None:
            result[name] = None if nested["nesting_mode"] == "single" else []
        elif nested["nesting_mode"] in ("list", "set"):
            result[name] = [fill_unknowns(inner, item) for item in current]
        elif nested["nesting_mode"] == "map":
            result[name] = {k: fill_unknowns(inner, v) for k, v in current.items()}
        else:
            result[name] = fill_unknowns(inner, current)
    return result


# Computed attributes whose real value other names are built from: the API's shape.
def _service_account(state: State) -> State:
    email = f"{state['account_id']}@{state['project']}.iam.gserviceaccount.com"
    return {
        **state,
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{state['project']}/serviceAccounts/{email}",
        "id": f"projects/{state['project']}/serviceAccounts/{email}",
    }


def _run_service(state: State) -> State:
    uri = f"https://{state['name']}-standin-{state['location']}.a.run.app"
    return {**state, "uri": uri, "urls": [uri]}


# The Monitoring API's proto3 JSON omits fields that hold their type's default.
def _without_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _without_defaults(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (0, "", False, [], {}, None)}
    if isinstance(value, list):
        return [_without_defaults(item) for item in value]
    return value


def _dashboard(state: State) -> State:
    stored = json.loads(state["dashboard_json"])
    # The provider stores the API's answer through structure.NormalizeJsonString.
    return {**state, "dashboard_json": json.dumps(_without_defaults(stored), sort_keys=True)}


def _remove_computed_keys(old: Any, new: Any) -> Any:
    """The provider's removeComputedKeys: keys the configuration does not set are ignored."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return old
    result = {}
    for key, value in old.items():
        if new.get(key) is None:
            continue
        if isinstance(value, dict):
            result[key] = _remove_computed_keys(value, new[key])
        elif isinstance(value, list) and isinstance(new[key], list):
            result[key] = [
                _remove_computed_keys(item, new[key][i]) if i < len(new[key]) else item
                for i, item in enumerate(value)
            ]
        else:
            result[key] = value
    return result


def _dashboard_unchanged(old: str, new: str) -> bool:
    try:
        old_map, new_map = json.loads(old), json.loads(new)
    except (TypeError, ValueError):
        return False
    return bool(_remove_computed_keys(old_map, new_map) == new_map)


AFTER_APPLY: dict[str, Callable[[State], State]] = {
    "google_service_account": _service_account,
    "google_cloud_run_v2_service": _run_service,
    "google_monitoring_dashboard": _dashboard,
}

# type -> attribute -> whether the stored and the configured value are the same.
DIFF_SUPPRESS: dict[str, dict[str, Callable[[str, str], bool]]] = {
    "google_monitoring_dashboard": {"dashboard_json": _dashboard_unchanged},
}

# type -> attributes whose change replaces the resource (ForceNew in the provider).
REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    "time_sleep": ("triggers", "create_duration"),
}


def applied(type_name: str, block: JsonBlock, planned: State) -> State:
    """The new state an apply of ``planned`` stores."""
    state = fill_unknowns(block, planned)
    model = AFTER_APPLY.get(type_name)
    return model(state) if model else state


def suppress_diffs(type_name: str, prior: State | None, planned: State) -> State:
    """``planned`` with the stored value kept where the provider sees no difference."""
    if prior is None:
        return planned
    result = dict(planned)
    for name, unchanged in DIFF_SUPPRESS.get(type_name, {}).items():
        old, new = prior.get(name), planned.get(name)
        if isinstance(old, str) and isinstance(new, str) and unchanged(old, new):
            result[name] = old
    return result


def replaced_attributes(type_name: str, prior: State | None, planned: State) -> list[str]:
    """Attributes whose change makes this plan a replacement."""
    if prior is None:
        return []
    return [
        name
        for name in REPLACE_ON_CHANGE.get(type_name, ())
        if planned.get(name) is UNKNOWN or prior.get(name) != planned.get(name)
    ]
