"""Provider schemas from JSON (the shape `terraform providers schema -json`
prints for one provider), turned into tfplugin6 Schema messages.

The JSON files are test data in tests/terraform/data (see its README for where
each comes from); the google one is a subset of the real 6.50.0 schema.
"""

from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

from tests.terraform.standin.protocol import pb2

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

# Provider name -> (schema file, version the stand-in announces itself as).
PROVIDERS: dict[str, tuple[str, str]] = {
    "google": ("google-provider-6.50.0.schema-subset.json", "6.50.0"),
    "time": ("time-provider-0.13.schema.json", "0.13.1"),
}

NESTING = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}

JsonBlock = dict[str, Any]


@functools.cache
def provider_json(name: str) -> dict[str, Any]:
    file_name, _ = PROVIDERS[name]
    loaded: dict[str, Any] = json.loads((DATA / file_name).read_text(encoding="utf-8"))
    return loaded


def _block(block: JsonBlock) -> Any:
    message = pb2().Schema.Block(
        description=block.get("description", ""),
        deprecated=bool(block.get("deprecated", False)),
    )
    for name, attr in sorted(block.get("attributes", {}).items()):
        message.attributes.append(
            pb2().Schema.Attribute(
                name=name,
                type=json.dumps(attr["type"]).encode(),
                description=attr.get("description", ""),
                required=bool(attr.get("required", False)),
                optional=bool(attr.get("optional", False)),
                computed=bool(attr.get("computed", False)),
                sensitive=bool(attr.get("sensitive", False)),
                deprecated=bool(attr.get("deprecated", False)),
                write_only=bool(attr.get("write_only", False)),
            )
        )
    for name, nested in sorted(block.get("block_types", {}).items()):
        message.block_types.append(
            pb2().Schema.NestedBlock(
                type_name=name,
                block=_block(nested["block"]),
                nesting=NESTING[nested["nesting_mode"]],
                min_items=int(nested.get("min_items", 0)),
                max_items=int(nested.get("max_items", 0)),
            )
        )
    return message


def schema_message(entry: dict[str, Any]) -> Any:
    return pb2().Schema(version=int(entry.get("version", 0)), block=_block(entry.get("block", {})))


def provider_schema_response(name: str) -> Any:
    data = provider_json(name)
    response = pb2().GetProviderSchema.Response(
        provider=schema_message(data["provider"]),
        server_capabilities=pb2().ServerCapabilities(plan_destroy=True),
    )
    for type_name, entry in sorted(data.get("resource_schemas", {}).items()):
        response.resource_schemas[type_name].CopyFrom(schema_message(entry))
    for type_name, entry in sorted(data.get("data_source_schemas", {}).items()):
        response.data_source_schemas[type_name].CopyFrom(schema_message(entry))
    return response


def resource_block(name: str, type_name: str) -> JsonBlock:
    block: JsonBlock = provider_json(name)["resource_schemas"][type_name]["block"]
    return block


def data_source_block(name: str, type_name: str) -> JsonBlock:
    block: JsonBlock = provider_json(name)["data_source_schemas"][type_name]["block"]
    return block
