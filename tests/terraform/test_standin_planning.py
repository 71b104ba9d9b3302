"""What the stand-in plans: the proposed state, with computed attributes that
are still null marked unknown, in nested blocks too; set values stay set."""

from __future__ import annotations

from typing import Any

from tests.terraform.standin.planning import conform, fill_data_source, mark_computed_unknown
from tests.terraform.standin.values import UNKNOWN

BLOCK: dict[str, Any] = {
    "attributes": {
        "name": {"type": "string", "required": True},
        "id": {"type": "string", "computed": True},
        "project": {"type": "string", "optional": True, "computed": True},
        "labels": {"type": ["map", "string"], "optional": True},
    },
    "block_types": {
        "service_config": {
            "nesting_mode": "list",
            "block": {
                "attributes": {
                    "uri": {"type": "string", "computed": True},
                    "timeout_seconds": {"type": "number", "optional": True, "computed": True},
                }
            },
        }
    },
}


def test_computed_nulls_become_unknown_and_configured_values_stay() -> None:
    proposed = {
        "name": "f",
        "id": None,
        "project": "p",
        "labels": None,
        "service_config": [{"uri": None, "timeout_seconds": 30}],
    }

    planned = mark_computed_unknown(BLOCK, proposed)

    assert planned == {
        "name": "f",
        "id": UNKNOWN,
        "project": "p",
        "labels": None,  # not computed: stays null
        "service_config": [{"uri": UNKNOWN, "timeout_seconds": 30}],
    }
    assert proposed["id"] is None  # the input is not changed


def test_a_stored_state_is_completed_to_the_schema() -> None:
    stored = {"name": "f", "id": "x", "retired_attribute": 1}
    assert conform(BLOCK, stored) == {
        "name": "f",
        "id": "x",
        "project": None,
        "labels": None,
        "service_config": [],
    }


def test_data_sources_come_back_fully_known() -> None:
    state = fill_data_source(BLOCK, {"name": "f"})
    assert state["id"] == "stand-in-id"
    assert UNKNOWN not in state.values()
