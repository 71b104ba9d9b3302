"""Reading `terraform show -json` of a plan: planned resources by type and name
(in the root module or in a module call's instances), their configuration
(expressions, depends_on) and the planned outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MODULE_KEY = re.compile(r'^module\.(\w+)(?:\["([^"]+)"\]|\[(\d+)\])?$')


@dataclass
class Change:
    address: str
    index: Any
    after: dict[str, Any]
    after_unknown: dict[str, Any]
    actions: list[str]
    module: str | None = None
    before: dict[str, Any] | None = None


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
                rc.get("module_address"),
                rc["change"].get("before"),
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
            if c.module is None and (c.address == prefix or c.address.startswith(prefix + "["))
        }

    def in_module(self, call: str, type_and_name: str) -> dict[Any, Change]:
        """One resource of a module call, by the call's for_each key or count index."""
        found = {}
        for c in self.changes:
            match = _MODULE_KEY.match(c.module or "")
            if match and match.group(1) == call and c.address.endswith(f".{type_and_name}"):
                key = match.group(2) if match.group(2) is not None else match.group(3)
                found[int(key) if match.group(3) is not None else key] = c
        return found

    def in_modules(self, call: str, prefix: str) -> list[Change]:
        """Every instance of every resource in a module call whose type starts with prefix."""
        return [
            c
            for c in self.changes
            if (c.module or "").startswith(f"module.{call}")
            and c.address.split(".")[-2].startswith(prefix)
        ]

    def module_config(self, call: str) -> dict[str, Any]:
        found: dict[str, Any] = self.shown["configuration"]["root_module"]["module_calls"][call]
        return found

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
