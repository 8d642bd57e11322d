"""JSON Schema pieces shared by the routes' declared request and response bodies.

Routes declare the shapes they validate and answer with (`Api.route(request=..., response=...)`);
chalicelib/openapi/routes.py turns those declarations and the route table into the OpenAPI document.
The member record's properties come from the one field schema (members/schema.py), so the
contract cannot drift from validation.
"""

from __future__ import annotations

from typing import Any

from chalicelib.members import schema

Schema = dict[str, Any]

OBJECT: Schema = {"type": "object"}
TEXT: Schema = {"type": "string"}
CAPTCHA: dict[str, Schema] = {"captcha_id": TEXT, "captcha_code": TEXT}


def obj(properties: dict[str, Schema] | None = None, required: tuple[str, ...] = ()) -> Schema:
    """An object with the named properties; other properties are allowed (bodies may grow)."""
    out: Schema = {"type": "object", "properties": dict(properties or {})}
    if required:
        out["required"] = list(required)
    return out


def items_page(item: Schema | None = None) -> Schema:
    return obj({"items": {"type": "array", "items": item or OBJECT},
                "next_cursor": {"type": ["string", "null"]}}, ("items",))


def _field(f: schema.Field) -> Schema:
    # A field is text on the wire; option fields list their options, and "" clears an optional field.
    out: Schema = {"type": "string", "title": f.label, "maxLength": f.max_length}
    if f.options:
        out["enum"] = ["", *f.options]
    return out


def member_fields(*, editable_only: bool = False) -> dict[str, Schema]:
    """The member record's fields as JSON Schema properties."""
    return {f.key: _field(f) for f in schema.FIELDS if f.member_editable or not editable_only}


ERROR: Schema = obj({"code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                     "message": {"type": "string", "minLength": 1}}, ("code", "message"))
