"""Reading the items of a large DynamoDB read without botocore's generic parse of each value.

Why this exists: botocore turns a response into Python by walking the service model, and an
AttributeValue is a structure of ten optional members, so every value of every item (a member
record is about forty) costs a dozen function calls: at 60,000 members that was about a third of
an export chunk's own CPU. Yet in DynamoDB's JSON every AttributeValue is already what botocore
returns, except binaries (base64 text that botocore decodes to bytes).

`read_items_directly(client)` registers a `before-parse` handler (botocore's hook for services
that parse part of a response themselves) for BatchGetItem, Query and Scan: the items are taken
out of the body, converted here, and handed back through `customized_response_dict`, which
botocore merges into its parse of the rest of the body (counts, keys, unprocessed keys,
consumed capacity, metadata), so the result is the same dict. A value of any shape not listed
here leaves the whole response to botocore. tests/unit/test_item_reads.py compares the two.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_OPERATIONS = ("BatchGetItem", "Query", "Scan")
_TEXT = frozenset({"S", "N"})


class _Unusual(Exception):
    """A value this module does not convert: botocore parses the response."""


def _value(v: Any) -> dict[str, Any]:
    if type(v) is not dict or len(v) != 1:
        raise _Unusual
    ((kind, x),) = v.items()
    if kind in _TEXT:
        if type(x) is not str:
            raise _Unusual
        return v
    if kind == "M":
        if type(x) is not dict:
            raise _Unusual
        return {"M": {k: _value(sub) for k, sub in x.items()}}
    if kind == "L":
        if type(x) is not list:
            raise _Unusual
        return {"L": [_value(sub) for sub in x]}
    if kind in ("BOOL", "NULL"):
        if type(x) is not bool:
            raise _Unusual
        return v
    if kind in ("SS", "NS"):
        if type(x) is not list or any(type(e) is not str for e in x):
            raise _Unusual
        return v
    if kind == "B":
        if type(x) is not str:
            raise _Unusual
        return {"B": base64.b64decode(x)}
    if kind == "BS":
        if type(x) is not list or any(type(e) is not str for e in x):
            raise _Unusual
        return {"BS": [base64.b64decode(e) for e in x]}
    raise _Unusual


def items_of(items: Any) -> list[dict[str, Any]]:
    """A list of items in DynamoDB's JSON as botocore parses it; `_Unusual` for anything else."""
    if type(items) is not list:
        raise _Unusual
    out = []
    for item in items:
        if type(item) is not dict:
            raise _Unusual
        out.append({k: _value(v) for k, v in item.items()})
    return out


def _before_parse(response_dict: dict[str, Any], customized_response_dict: dict[str, Any],
                  **_: Any) -> None:
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not isinstance(body, bytes) or not body:
        return
    try:
        parsed = json.loads(body)
        if type(parsed) is not dict:
            return
        taken: dict[str, Any] = {}
        if "Items" in parsed:
            taken["Items"] = items_of(parsed.pop("Items"))
        responses = parsed.pop("Responses", None)
        if responses is not None:
            if type(responses) is not dict:
                return
            taken["Responses"] = {table: items_of(items) for table, items in responses.items()}
    except (ValueError, _Unusual):
        return  # botocore parses the body as it is
    response_dict["body"] = json.dumps(parsed).encode()
    customized_response_dict.update(taken)


def read_items_directly(client: Any) -> None:
    """Idempotent: on this botocore DynamoDB client, items are read by `_before_parse`."""
    service_id = client.meta.service_model.service_id.hyphenize()
    for operation in _OPERATIONS:
        client.meta.events.register(f"before-parse.{service_id}.{operation}", _before_parse,
                                    unique_id=f"item_reads.{operation}")
