"""The client package's TypeScript types (``client-js/index.d.ts``) say what
``openapi.yaml`` says: every field of a token grant and of an error body, with its type
and whether it is optional. A field added to or changed in one fails here until the
other follows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TYPES = (ROOT / "client-js" / "index.d.ts").read_text(encoding="utf-8")
SCHEMAS: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))[
    "components"
]["schemas"]
FIELD = re.compile(r"^\s*'?([\w@]+)'?(\??):\s*(.+?);\s*$", re.MULTILINE)


def typescript_fields(body: str) -> dict[str, tuple[str, bool]]:
    """``name -> (type, optional)`` of an interface body's own fields (no nesting)."""
    return {name: (kind, mark == "?") for name, mark, kind in FIELD.findall(body)}


def interface_body(name: str) -> str:
    match = re.search(rf"export interface {name} \{{\n(.*?)\n\}}", TYPES, re.DOTALL)
    assert match, f"client-js/index.d.ts has no interface {name}"
    return match.group(1)


def typescript_type(schema: dict[str, Any]) -> str:
    """The TypeScript spelling of an OpenAPI property schema, as index.d.ts writes it."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        # An object schema is an interface of its own name; any other is spelled inline.
        return name if SCHEMAS[name]["type"] == "object" else typescript_type(SCHEMAS[name])
    if schema.get("type") == "array":
        return f"{typescript_type(schema['items'])}[]"
    if "const" in schema:
        return f"'{schema['const']}'"
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    names = {"string": "string", "integer": "number", "number": "number", "null": "null"}
    return " | ".join(names[kind] for kind in kinds)


def expected_fields(schema: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    required = set(schema.get("required", []))
    return {
        name: (typescript_type(prop), name not in required)
        for name, prop in schema["properties"].items()
    }


def test_live_token_has_every_field_of_the_token_grant_with_its_type() -> None:
    assert typescript_fields(interface_body("LiveToken")) == expected_fields(SCHEMAS["TokenGrant"])


def test_the_error_body_type_has_every_field_of_the_error_schema() -> None:
    body = interface_body("TokenvendErrorBody")
    inner = re.search(r"error: \{\n(.*?)\n\s*\};", body, re.DOTALL)
    assert inner, body
    assert typescript_fields(inner.group(1)) == expected_fields(
        SCHEMAS["Error"]["properties"]["error"]
    )


def test_the_error_info_type_has_every_field_of_the_error_info_schema() -> None:
    assert typescript_fields(interface_body("ErrorInfo")) == expected_fields(SCHEMAS["ErrorInfo"])


@pytest.mark.parametrize(
    ("schema", "spelled"),
    [
        ({"type": ["string", "null"]}, "string | null"),
        ({"type": "integer"}, "number"),
        ({"const": "v1alpha", "type": "string"}, "'v1alpha'"),
        ({"type": "array", "items": {"$ref": "#/components/schemas/ErrorInfo"}}, "ErrorInfo[]"),
    ],
)
def test_openapi_types_are_spelled_as_typescript_spells_them(
    schema: dict[str, Any], spelled: str
) -> None:
    assert typescript_type(schema) == spelled
