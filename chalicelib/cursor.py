"""Opaque page cursors: DynamoDB's LastEvaluatedKey as URL-safe text, and back.

A malformed cursor is the client's mistake (400 INVALID_CURSOR), never a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.errors import BadRequest


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except Exception as exc:
        raise BadRequest("分页参数无效,请从第一页重新查询", code="INVALID_CURSOR") from exc
