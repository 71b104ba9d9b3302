"""Reading `terraform show -json` of a plan: planned resources by type and name,
their configuration (expressions, depends_on) and the planned outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Change:
    address: str
    index: Any
    after: dict[str, Any]
    after_unknown: dict[str, Any]
    actions: list[str]


class Plan:
    def __init__(self, shown: dict[str, Any]) -> None:
        self.shown = shown
        self.changes = [
            Change(
                rc["address"],
                rc.get("index"),
                rc["change"].get("after") or {},
                rc["change"].get("after_unknown") or {},
                rc["change"]["actions"],
            )
            for rc in shown.get("resource_changes", [])
        ]

    @property
    def addresses(self) -> set[str]:
        return {c.address for c in self.changes}

    def of(self, type_and_name: str) -> dict[Any, Change]:
        """Instances of one resource block, by for_each key or count index
        (None for a block without either)."""
        prefix = type_and_name
        return {
            c.index: c
            for c in self.changes
            if c.address == prefix or c.address.startswith(prefix + "[")
        }

    def one(self, type_and_name: str) -> Change:
        (change,) = self.of(type_and_name).values()
        return change

    def types(self) -> set[str]:
        return {c.address.split("[")[0].rsplit(".", 1)[0] for c in self.changes}

    def config(self, type_and_name: str) -> dict[str, Any]:
        for resource in self.shown["configuration"]["root_module"]["resources"]:
            if resource["address"] == type_and_name:
                found: dict[str, Any] = resource
                return found
        raise KeyError(type_and_name)

    def depends_on(self, type_and_name: str) -> set[str]:
        return set(self.config(type_and_name).get("depends_on", []))

    def output(self, name: str) -> Any:
        return self.shown["planned_values"]["outputs"][name].get("value")
